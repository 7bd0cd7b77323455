"""The database layer: SQLAlchemy models, Alembic migrations, audit trail and registry writes.

Import the submodules directly (``loaders.db``, ``loaders.models``, ``loaders.registry``, ``loaders.audit``).
"""
