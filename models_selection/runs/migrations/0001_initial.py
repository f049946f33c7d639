"""The runs app takes over Job, JobDecision and StageRun: state only, their tables (models_selection_*) stay."""

import django.db.models.deletion
import models_selection.runs.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("models_selection", "0009_runs_move_to_their_app"),
    ]

    state_operations = [
        migrations.CreateModel(
            name='Job',
            fields=[
                ('id', models.CharField(default=models_selection.runs.models.new_job_id, editable=False, max_length=64, primary_key=True, serialize=False)),
                ('brief', models.TextField()),
                ('project_id', models.CharField(blank=True, max_length=100)),
                ('model_overrides', models.JSONField(blank=True, default=dict)),
                ('allow_auto_fallback', models.BooleanField(default=False)),
                ('status', models.CharField(choices=[('Planned', 'Planned'), ('Blocked', 'Blocked'), ('Cancelled', 'Cancelled'), ('Queued', 'Queued'), ('Running', 'Running'), ('Succeeded', 'Succeeded'), ('NeedsReview', 'Needs Review'), ('Failed', 'Failed')], max_length=12)),
                ('resolutions', models.JSONField(blank=True, default=list)),
                ('effective_preferences', models.JSONField(blank=True, default=dict)),
                ('price_snapshot', models.JSONField(blank=True, default=dict)),
                ('outcome', models.JSONField(blank=True, default=dict)),
                ('artifacts', models.JSONField(blank=True, default=dict)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('task_id', models.CharField(blank=True, max_length=255)),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('correlation_id', models.CharField(blank=True, max_length=128)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'models_selection_job',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='JobDecision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('decision', models.CharField(max_length=30)),
                ('choices', models.JSONField(blank=True, default=dict)),
                ('outcome', models.CharField(choices=[('Planned', 'Planned'), ('Blocked', 'Blocked'), ('Cancelled', 'Cancelled'), ('Queued', 'Queued'), ('Running', 'Running'), ('Succeeded', 'Succeeded'), ('NeedsReview', 'Needs Review'), ('Failed', 'Failed')], max_length=12)),
                ('decided_at', models.DateTimeField(auto_now_add=True)),
                ('correlation_id', models.CharField(blank=True, max_length=128)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='decisions', to='runs.job')),
            ],
            options={
                'db_table': 'models_selection_jobdecision',
                'ordering': ['decided_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='StageRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stage', models.CharField(max_length=20)),
                ('position', models.PositiveSmallIntegerField(default=0)),
                ('status', models.CharField(choices=[('Running', 'Running'), ('Succeeded', 'Succeeded'), ('Failed', 'Failed'), ('Refused', 'Refused'), ('Blocked', 'Blocked')], default='Running', max_length=10)),
                ('provider', models.CharField(blank=True, max_length=50)),
                ('model_id', models.CharField(blank=True, max_length=120)),
                ('source', models.CharField(blank=True, max_length=20)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('request', models.JSONField(blank=True, default=dict)),
                ('output', models.TextField(blank=True)),
                ('input_tokens', models.PositiveIntegerField(default=0)),
                ('output_tokens', models.PositiveIntegerField(default=0)),
                ('cached_tokens', models.PositiveIntegerField(default=0)),
                ('cost', models.DecimalField(decimal_places=6, default=Decimal('0'), max_digits=14)),
                ('latency_ms', models.PositiveIntegerField(blank=True, null=True)),
                ('review', models.JSONField(blank=True, default=dict)),
                ('http_status', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('error', models.TextField(blank=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stage_runs', to='runs.job')),
            ],
            options={
                'db_table': 'models_selection_stagerun',
                'ordering': ['job', 'position', 'id'],
                'constraints': [models.UniqueConstraint(fields=('job', 'stage'), name='stage_run_one_per_stage')],
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[])]
