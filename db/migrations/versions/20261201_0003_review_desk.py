"""review desk: the queue by fields needing a look, skips, the engine's own doubt, web sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:00:00

- documents.look_count: how many fields need a look (failing a check, or read with less than
  their threshold); the queue's order becomes (look_count DESC, created_at, id) behind status,
  and ix_documents_queue follows it. Existing documents get their count from review_reasons
  (one reason per field that needs a look).
- fields.engine_reason: why the engine doubted a value it read (kept until it is corrected).
- document_skips: a reviewer passed over a document; it comes back to them after the others.
- web_sessions: signed-in browsers (token hash, user, expiry), so a reload keeps a user signed in;
  and the single-use tickets that turn a sign-in into a session cookie.
"""

from __future__ import annotations

import json
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _min_confidence_nulls_first() -> Union[str, sa.TextClause]:
    if op.get_bind().dialect.name == "postgresql":
        return sa.text("min_confidence NULLS FIRST")
    return "min_confidence"


def upgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('look_count', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('fields') as batch:
        batch.add_column(sa.Column('engine_reason', sa.Text(), nullable=False, server_default=''))
    documents = sa.table('documents', sa.column('id', sa.Integer()), sa.column('review_reasons', sa.JSON()),
                         sa.column('look_count', sa.Integer()))
    connection = op.get_bind()
    for document_id, reasons in connection.execute(sa.select(documents.c.id, documents.c.review_reasons)):
        if isinstance(reasons, str):
            reasons = json.loads(reasons)
        if reasons:
            connection.execute(documents.update().where(documents.c.id == document_id)
                               .values(look_count=len({r.split(":", 1)[-1] for r in reasons})))
    op.drop_index('ix_documents_queue', table_name='documents')
    op.create_index('ix_documents_queue', 'documents', ['status', sa.text('look_count DESC'), 'created_at', 'id'],
                    unique=False)
    op.create_table(
        'document_skips',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_skips_document_id_documents'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_document_skips_user_id_users')),
        sa.PrimaryKeyConstraint('document_id', 'user_id', name=op.f('pk_document_skips')),
    )
    op.create_table(
        'web_sessions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_web_sessions')),
    )
    op.create_index('ix_web_sessions_user_id', 'web_sessions', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_web_sessions_user_id', table_name='web_sessions')
    op.drop_table('web_sessions')
    op.drop_table('document_skips')
    op.drop_index('ix_documents_queue', table_name='documents')
    op.create_index('ix_documents_queue', 'documents',
                    ['status', _min_confidence_nulls_first(), 'created_at', 'id'], unique=False)
    with op.batch_alter_table('fields') as batch:
        batch.drop_column('engine_reason')
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('look_count')
