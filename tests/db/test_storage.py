"""Storage: migrations, optimistic locking, claims, the append-only audit log, hashed secrets."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from db.migrate import current_revision, downgrade, pending_changes, upgrade
from db.models import ApiKey, AuditEntry, Base, User
from db.session import Database, UnitOfWork
from services.accounts.api_keys import ApiKeyService
from services.accounts.users import AuthError, UserService
from services.domain.people import Role
from services.domain.records import DocumentStatus
from services.review.workflow import StaleDocument
from tests.support.factories import extracted_document, make_user, review_service


class TestMigrations:
    def test_upgrade_creates_every_model_table_and_matches_the_models(self, db_url: str) -> None:
        assert pending_changes(db_url) == []
        database = Database(db_url)
        try:
            tables = set(inspect(database.engine).get_table_names())
        finally:
            database.dispose()
        assert set(Base.metadata.tables) <= tables

    def test_downgrade_to_base_removes_everything_and_upgrade_restores_it(self, db_url: str) -> None:
        downgrade(db_url, "base")
        database = Database(db_url)
        try:
            assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
        finally:
            database.dispose()
        upgrade(db_url)
        assert current_revision(db_url) is not None
        assert pending_changes(db_url) == []


class TestOptimisticLocking:
    def test_a_stale_save_is_refused_and_the_first_save_survives(self, database: Database) -> None:
        alice = make_user(database, "alice", Role.LEAD)
        bob = make_user(database, "bob", Role.LEAD)
        review = review_service(database)
        document_id = extracted_document(database)
        version = review.view(document_id).version

        review.save(alice, document_id, version, {("back", "name"): "NGUYỄN VĂN BÌNH"})
        with pytest.raises(StaleDocument) as stale:
            review.save(bob, document_id, version, {("back", "name"): "TRẦN THỊ CÚC"})

        current = review.view(document_id)
        assert current.field("back", "name").current == "NGUYỄN VĂN BÌNH"
        assert current.version == version + 1
        # The refused writer is shown the other change, to re-apply theirs on top.
        assert stale.value.current.field("back", "name").current == "NGUYỄN VĂN BÌNH"
        assert stale.value.current.version == version + 1

    def test_the_original_value_is_kept_beside_the_correction(self, database: Database) -> None:
        alice = make_user(database, "alice")
        review = review_service(database)
        document_id = extracted_document(database)
        review.claim(alice, document_id)
        view = review.view(document_id)
        review.save(alice, document_id, view.version, {("back", "engine"): "JF83E7654321"})
        engine = review.view(document_id).field("back", "engine")
        assert (engine.value, engine.corrected_value, engine.status) == ("JF83E1234567", "JF83E7654321", "corrected")


def _claim_concurrently(database: Database, reviewers: list, per_reviewer: int) -> list[int]:
    review = review_service(database)
    claimed: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(reviewers))
    errors: list[BaseException] = []

    def work(user) -> None:
        try:
            barrier.wait()
            for _ in range(per_reviewer):
                document_id = review.claim_next(user)
                if document_id is None:
                    return
                with lock:
                    claimed.append(document_id)
                view = review.view(document_id)
                review.approve(user, document_id, view.version)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(user,)) for user in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return claimed


class TestClaims:
    def test_concurrent_reviewers_never_get_the_same_document_on_postgres(self, pg_database: Database) -> None:
        documents = [extracted_document(pg_database, source_detail=f"c{i}.png") for i in range(24)]
        reviewers = [make_user(pg_database, f"reviewer{i}") for i in range(6)]
        claimed = _claim_concurrently(pg_database, reviewers, per_reviewer=6)
        assert Counter(claimed).most_common(1)[0][1] == 1
        assert sorted(claimed) == sorted(documents)

    def test_concurrent_reviewers_never_get_the_same_document_on_sqlite(self, tmp_path, sqlite_template) -> None:
        import shutil

        path = tmp_path / "claims.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        try:
            documents = [extracted_document(database, source_detail=f"c{i}.png") for i in range(12)]
            reviewers = [make_user(database, f"reviewer{i}") for i in range(4)]
            claimed = _claim_concurrently(database, reviewers, per_reviewer=4)
        finally:
            database.dispose()
        assert Counter(claimed).most_common(1)[0][1] == 1
        assert sorted(claimed) == sorted(documents)

    def test_a_reviewer_gets_back_the_document_they_already_hold(self, database: Database) -> None:
        alice = make_user(database, "alice")
        review = review_service(database)
        extracted_document(database, source_detail="a.png")
        extracted_document(database, source_detail="b.png")
        first = review.claim_next(alice)
        assert review.claim_next(alice) == first

    def test_an_expired_claim_goes_back_to_the_queue(self, database: Database) -> None:
        alice = make_user(database, "alice")
        bob = make_user(database, "bob")
        review = review_service(database, claim_ttl=timedelta(minutes=30))
        document_id = extracted_document(database)
        assert review.claim_next(alice) == document_id
        assert review.claim_next(bob) is None
        later = datetime.now(timezone.utc) + timedelta(minutes=31)
        assert review.claim_next(bob, now=later) == document_id

    def test_the_document_with_the_most_fields_needing_a_look_comes_first(self, database: Database) -> None:
        alice = make_user(database, "alice")
        review = review_service(database)
        extracted_document(database, source_detail="sure.png")
        extracted_document(database, confidences={"plate": 0.2}, source_detail="one.png")
        worst = extracted_document(database, confidences={"plate": 0.2, "name": 0.3}, source_detail="two.png")
        assert review.claim_next(alice) == worst

    def test_among_documents_needing_as_many_looks_the_oldest_comes_first(self, database: Database) -> None:
        alice, bob = make_user(database, "alice"), make_user(database, "bob")
        review = review_service(database)
        older = extracted_document(database, confidences={"plate": 0.7}, source_detail="older.png")
        newer = extracted_document(database, confidences={"plate": 0.1}, source_detail="newer.png")
        assert review.claim_next(alice) == older
        assert review.claim_next(bob) == newer

    def test_a_skipped_document_comes_back_to_its_reviewer_only_after_the_others(self, database: Database) -> None:
        alice, bob = make_user(database, "alice"), make_user(database, "bob")
        review = review_service(database)
        first = extracted_document(database, confidences={"plate": 0.2, "name": 0.3}, source_detail="a.png")
        second = extracted_document(database, source_detail="b.png")
        assert review.claim_next(alice) == first
        assert review.release(alice, first, action="skipped")
        assert review.claim_next(alice) == second  # not the one just skipped
        assert review.claim_next(bob) == first  # which waits for everyone else as before
        assert review.release(bob, first)
        assert review.release(alice, second, action="skipped")
        # Nothing else waits: what alice skipped comes back to her, the longest skipped first.
        assert review.claim_next(alice) == first

    def test_the_queue_says_how_many_documents_wait(self, database: Database) -> None:
        alice = make_user(database, "alice")
        review = review_service(database)
        for i in range(3):
            extracted_document(database, source_detail=f"{i}.png")
        assert review.remaining() == 3
        review.claim_next(alice)
        assert review.remaining() == 2

    def test_an_expired_claim_takes_its_place_in_queue_order_among_waiting_documents(
            self, database: Database) -> None:
        alice = make_user(database, "alice")
        bob = make_user(database, "bob")
        review = review_service(database, claim_ttl=timedelta(minutes=30))
        doubtful = extracted_document(database, confidences={"plate": 0.2}, source_detail="doubt.png")
        assert review.claim_next(alice) == doubtful
        extracted_document(database, confidences={"plate": 0.5}, source_detail="later.png")
        later = datetime.now(timezone.utc) + timedelta(minutes=31)
        assert review.claim_next(bob, now=later) == doubtful


class TestAuditLog:
    def test_the_database_refuses_to_change_or_delete_audit_entries(self, database: Database) -> None:
        make_user(database, "alice")
        with UnitOfWork(database) as uow:
            assert uow.session.scalar(select(AuditEntry.id)) is not None
        for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
            with UnitOfWork(database) as uow:
                with pytest.raises(DBAPIError, match="append-only"):
                    uow.session.execute(text(statement))
                    uow.commit()

    def test_a_full_review_only_appends_to_the_audit_log(self, database: Database) -> None:
        alice = make_user(database, "alice")
        review = review_service(database)
        document_id = extracted_document(database)

        def snapshot() -> list[tuple]:
            with UnitOfWork(database, write=False) as uow:
                rows = uow.session.execute(
                    select(AuditEntry.id, AuditEntry.action, AuditEntry.old_value, AuditEntry.new_value)
                    .order_by(AuditEntry.id)
                ).all()
                return [tuple(row) for row in rows]

        before = snapshot()
        review.claim(alice, document_id)
        view = review.view(document_id)
        version = review.save(alice, document_id, view.version, {("back", "color"): "Đỏ"})
        review.approve(alice, document_id, version)
        after = snapshot()
        assert after[: len(before)] == before
        assert [row[1] for row in after[len(before):]] == ["claimed", "corrected", "approved"]
        assert after[len(before) + 1][2:] == ("Đỏ Đen", "Đỏ")


class TestSecrets:
    def test_passwords_and_api_secrets_are_stored_only_as_hashes(self, database: Database) -> None:
        password = "correct horse battery"
        UserService(database).create("alice", password, Role.REVIEWER)
        created = ApiKeyService(database).create("team-a", quota=10)
        with UnitOfWork(database, write=False) as uow:
            password_hash = uow.session.scalar(select(User.password_hash))
            secret_hash = uow.session.scalar(select(ApiKey.secret_hash))
            dump = " ".join(
                str(value)
                for table in Base.metadata.sorted_tables
                for row in uow.session.execute(table.select())
                for value in row
            )
        assert password not in dump and created.secret not in dump
        assert password_hash.startswith("$argon2id$")
        assert secret_hash.startswith("$argon2id$")

    def test_api_secrets_verify_and_wrong_ones_do_not(self, database: Database) -> None:
        service = ApiKeyService(database)
        created = service.create("team-a")
        assert service.verify(created.key_id, created.secret) is not None
        assert service.verify(created.key_id, created.secret + "x") is None
        assert service.verify("vr_unknown", created.secret) is None
        service.revoke(created.key_id)
        assert service.verify(created.key_id, created.secret) is None

    def test_a_quota_is_never_overrun(self, database: Database) -> None:
        service = ApiKeyService(database)
        created = service.create("team-a", quota=3)
        key = service.verify(created.key_id, created.secret)
        assert [service.consume(key) for _ in range(5)] == [True, True, True, False, False]

    def test_repeated_wrong_passwords_lock_the_account(self, database: Database) -> None:
        users = UserService(database)
        users.create("alice", "correct horse battery", Role.REVIEWER)
        for _ in range(5):
            with pytest.raises(AuthError):
                users.authenticate("alice", "wrong password")
        with pytest.raises(AuthError, match="Too many"):
            users.authenticate("alice", "correct horse battery")
        later = datetime.now(timezone.utc) + timedelta(minutes=6)
        assert users.authenticate("alice", "correct horse battery", now=later).username == "alice"


def test_a_field_row_exists_for_every_schema_field_of_the_side(database: Database) -> None:
    from services.domain.schema import BACK_FIELDS

    document_id = extracted_document(database)
    with UnitOfWork(database, write=False) as uow:
        names = [f.name for f in uow.documents.fields(document_id)]
        status = uow.documents.get(document_id).status
    assert names == [spec.name for spec in BACK_FIELDS]
    assert status == DocumentStatus.NEEDS_REVIEW.value
