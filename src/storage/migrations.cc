// Roadside's schema, one migration at a time. Never edit a released migration: add one.
// Each has SQL for both databases; keep them equivalent.
#include <array>

#include "storage/store.h"

namespace roadside::storage {

namespace {

constexpr std::array kMigrations = {
    Migration{1, "settings",
              R"sql(
CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
)sql",
              R"sql(
CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql"},
    // The server's configuration (owner, clients, services, access rights) as a history of
    // applied revisions, and the software token's keys: PKCS#12 under the token PIN, so the
    // database plus the PIN is the server's whole identity.
    Migration{2, "server configuration and token keys",
              R"sql(
CREATE TABLE server_configuration (
  revision   INTEGER PRIMARY KEY,
  document   TEXT NOT NULL,
  digest     TEXT NOT NULL,
  source     TEXT NOT NULL,
  applied_at TEXT NOT NULL
);
CREATE TABLE token_keys (
  key_id        TEXT PRIMARY KEY,
  token_id      TEXT NOT NULL,
  usage         TEXT NOT NULL CHECK (usage IN ('SIGNING', 'AUTHENTICATION')),
  member_id     TEXT,
  friendly_name TEXT NOT NULL,
  certificate   BLOB NOT NULL,
  key_pkcs12    BLOB NOT NULL,
  created_at    TEXT NOT NULL
);
)sql",
              R"sql(
CREATE TABLE server_configuration (
  revision   BIGINT PRIMARY KEY,
  document   TEXT NOT NULL,
  digest     TEXT NOT NULL,
  source     TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE token_keys (
  key_id        TEXT PRIMARY KEY,
  token_id      TEXT NOT NULL,
  usage         TEXT NOT NULL CHECK (usage IN ('SIGNING', 'AUTHENTICATION')),
  member_id     TEXT,
  friendly_name TEXT NOT NULL,
  certificate   BYTEA NOT NULL,
  key_pkcs12    BYTEA NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql"},
    // Administrators of the admin API; the first one comes from XROAD_ADMIN_USER and
    // XROAD_ADMIN_PASSWORD on the first start. Passwords are kept as PBKDF2 hashes.
    Migration{3, "administrators",
              R"sql(
CREATE TABLE administrators (
  name          TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
)sql",
              R"sql(
CREATE TABLE administrators (
  name          TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql"},
    // OCSP responses for this server's own certificates, shared by the nodes of a cluster:
    // the node holding the OCSP lease fetches them, every node reads them from here.
    Migration{4, "ocsp_responses",
              R"sql(
CREATE TABLE ocsp_responses (
  certificate_sha1 TEXT PRIMARY KEY,
  response         BLOB NOT NULL,
  updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
)sql",
              R"sql(
CREATE TABLE ocsp_responses (
  certificate_sha1 TEXT PRIMARY KEY,
  response         BYTEA NOT NULL,
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql"},
    // Keys at rest: a key is kept sealed under the PIN with scrypt and AES-256-GCM
    // (crypto/key_wrap.h) in key_wrapped; key_pkcs12 holds an imported PKCS#12 file only until
    // the first login with the PIN, which seals the key and clears it. One of the two is
    // always there. (SQLite cannot drop a NOT NULL: the table is copied.)
    Migration{5, "token keys sealed at rest",
              R"sql(
CREATE TABLE token_keys_v5 (
  key_id        TEXT PRIMARY KEY,
  token_id      TEXT NOT NULL,
  usage         TEXT NOT NULL CHECK (usage IN ('SIGNING', 'AUTHENTICATION')),
  member_id     TEXT,
  friendly_name TEXT NOT NULL,
  certificate   BLOB NOT NULL,
  key_pkcs12    BLOB,
  key_wrapped   BLOB,
  created_at    TEXT NOT NULL,
  CHECK (key_pkcs12 IS NOT NULL OR key_wrapped IS NOT NULL)
);
INSERT INTO token_keys_v5 (key_id, token_id, usage, member_id, friendly_name, certificate, key_pkcs12, created_at)
  SELECT key_id, token_id, usage, member_id, friendly_name, certificate, key_pkcs12, created_at FROM token_keys;
DROP TABLE token_keys;
ALTER TABLE token_keys_v5 RENAME TO token_keys;
)sql",
              R"sql(
ALTER TABLE token_keys ALTER COLUMN key_pkcs12 DROP NOT NULL;
ALTER TABLE token_keys ADD COLUMN key_wrapped BYTEA;
ALTER TABLE token_keys ADD CONSTRAINT token_keys_key_present CHECK (key_pkcs12 IS NOT NULL OR key_wrapped IS NOT NULL);
)sql"},
    // API keys of the admin API (X-Road's `Authorization: X-Road-ApiKey token=...`): only the
    // SHA-256 of each key is kept, with the roles it grants and who created it.
    Migration{6, "api keys",
              R"sql(
CREATE TABLE api_keys (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  key_hash   TEXT NOT NULL UNIQUE,
  roles      TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
)sql",
              R"sql(
CREATE TABLE api_keys (
  id         BIGSERIAL PRIMARY KEY,
  key_hash   TEXT NOT NULL UNIQUE,
  roles      TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql"},
    // The token as X-Road's signer keeps it: a key may have no certificate yet (generated, its
    // CSR at a CA), certificates of their own with X-Road's states, and CSRs. A key's usage is
    // set by its first CSR; public_key (DER) lets a certificate find its key while the token is
    // logged out. The certificates and members of today's keys move over as registered.
    Migration{7, "token certificates and CSRs",
              R"sql(
CREATE TABLE token_certificates (
  cert_id     INTEGER PRIMARY KEY AUTOINCREMENT,
  key_id      TEXT NOT NULL,
  member_id   TEXT,
  certificate BLOB NOT NULL,
  active      INTEGER NOT NULL,
  status      TEXT NOT NULL,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO token_certificates (key_id, member_id, certificate, active, status)
  SELECT key_id, member_id, certificate, 1, 'REGISTERED' FROM token_keys;
CREATE TABLE token_csrs (
  csr_id      TEXT PRIMARY KEY,
  key_id      TEXT NOT NULL,
  usage       TEXT NOT NULL CHECK (usage IN ('SIGNING', 'AUTHENTICATION')),
  member_id   TEXT,
  subject     TEXT NOT NULL,
  profile     TEXT NOT NULL,
  csr         BLOB NOT NULL,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE token_keys_v7 (
  key_id        TEXT PRIMARY KEY,
  token_id      TEXT NOT NULL,
  usage         TEXT CHECK (usage IN ('SIGNING', 'AUTHENTICATION')),
  friendly_name TEXT NOT NULL,
  label         TEXT NOT NULL DEFAULT '',
  public_key    BLOB,
  key_pkcs12    BLOB,
  key_wrapped   BLOB,
  created_at    TEXT NOT NULL,
  CHECK (key_pkcs12 IS NOT NULL OR key_wrapped IS NOT NULL)
);
INSERT INTO token_keys_v7 (key_id, token_id, usage, friendly_name, key_pkcs12, key_wrapped, created_at)
  SELECT key_id, token_id, usage, friendly_name, key_pkcs12, key_wrapped, created_at FROM token_keys;
DROP TABLE token_keys;
ALTER TABLE token_keys_v7 RENAME TO token_keys;
)sql",
              R"sql(
CREATE TABLE token_certificates (
  cert_id     BIGSERIAL PRIMARY KEY,
  key_id      TEXT NOT NULL,
  member_id   TEXT,
  certificate BYTEA NOT NULL,
  active      INTEGER NOT NULL,
  status      TEXT NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO token_certificates (key_id, member_id, certificate, active, status)
  SELECT key_id, member_id, certificate, 1, 'REGISTERED' FROM token_keys;
CREATE TABLE token_csrs (
  csr_id      TEXT PRIMARY KEY,
  key_id      TEXT NOT NULL,
  usage       TEXT NOT NULL CHECK (usage IN ('SIGNING', 'AUTHENTICATION')),
  member_id   TEXT,
  subject     TEXT NOT NULL,
  profile     TEXT NOT NULL,
  csr         BYTEA NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE token_keys DROP COLUMN certificate;
ALTER TABLE token_keys DROP COLUMN member_id;
ALTER TABLE token_keys ALTER COLUMN usage DROP NOT NULL;
ALTER TABLE token_keys ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE token_keys ADD COLUMN public_key BYTEA;
)sql"},
    // The message log (X-Road's LOGRECORD and LAST_ARCHIVE_DIGEST): a record per logged
    // request or response, the REST body or SOAP attachments in pieces of at most 1 MiB (a body
    // streams from its spool file into the table and back, never whole in memory), the
    // time-stamps that cover records, the last link of each archive group's chain, and the
    // time-stamper's state that every node of a cluster reads. message and the pieces are
    // sealed (AES-256-GCM) when key_id is set.
    Migration{8, "message log",
              R"sql(
CREATE TABLE messagelog_records (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms           INTEGER NOT NULL,
  query_id          TEXT NOT NULL,
  x_request_id      TEXT NOT NULL,
  response          INTEGER NOT NULL,
  client            TEXT NOT NULL,
  member_group      TEXT NOT NULL,
  subsystem_group   TEXT NOT NULL,
  body_logged       INTEGER NOT NULL,
  key_id            TEXT,
  message           BLOB NOT NULL,
  attachments       INTEGER NOT NULL,
  signature         TEXT NOT NULL,
  signature_hash    TEXT NOT NULL,
  hash_chain_result TEXT,
  hash_chain        TEXT,
  timestamp_id      INTEGER,
  ts_hash_chain     TEXT,
  archived          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messagelog_records_pending ON messagelog_records (id) WHERE timestamp_id IS NULL;
CREATE INDEX messagelog_records_unarchived ON messagelog_records (id) WHERE archived = 0;
CREATE INDEX messagelog_records_query ON messagelog_records (query_id);
CREATE INDEX messagelog_records_time ON messagelog_records (time_ms);
CREATE INDEX messagelog_records_timestamp ON messagelog_records (timestamp_id);
CREATE TABLE messagelog_pieces (
  record_id  INTEGER NOT NULL,
  attachment INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  data       BLOB NOT NULL,
  PRIMARY KEY (record_id, attachment, seq)
);
CREATE TABLE messagelog_timestamps (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms           INTEGER NOT NULL,
  token             BLOB NOT NULL,
  hash_chain_result TEXT,
  tsa_url           TEXT NOT NULL,
  archived          INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE messagelog_archive_links (
  group_name TEXT PRIMARY KEY,
  digest     TEXT NOT NULL,
  file_name  TEXT NOT NULL
);
CREATE TABLE messagelog_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql",
              R"sql(
CREATE TABLE messagelog_records (
  id                BIGSERIAL PRIMARY KEY,
  time_ms           BIGINT NOT NULL,
  query_id          TEXT NOT NULL,
  x_request_id      TEXT NOT NULL,
  response          INTEGER NOT NULL,
  client            TEXT NOT NULL,
  member_group      TEXT NOT NULL,
  subsystem_group   TEXT NOT NULL,
  body_logged       INTEGER NOT NULL,
  key_id            TEXT,
  message           BYTEA NOT NULL,
  attachments       INTEGER NOT NULL,
  signature         TEXT NOT NULL,
  signature_hash    TEXT NOT NULL,
  hash_chain_result TEXT,
  hash_chain        TEXT,
  timestamp_id      BIGINT,
  ts_hash_chain     TEXT,
  archived          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messagelog_records_pending ON messagelog_records (id) WHERE timestamp_id IS NULL;
CREATE INDEX messagelog_records_unarchived ON messagelog_records (id) WHERE archived = 0;
CREATE INDEX messagelog_records_query ON messagelog_records (query_id);
CREATE INDEX messagelog_records_time ON messagelog_records (time_ms);
CREATE INDEX messagelog_records_timestamp ON messagelog_records (timestamp_id);
CREATE TABLE messagelog_pieces (
  record_id  BIGINT NOT NULL,
  attachment INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  data       BYTEA NOT NULL,
  PRIMARY KEY (record_id, attachment, seq)
);
CREATE TABLE messagelog_timestamps (
  id                BIGSERIAL PRIMARY KEY,
  time_ms           BIGINT NOT NULL,
  token             BYTEA NOT NULL,
  hash_chain_result TEXT,
  tsa_url           TEXT NOT NULL,
  archived          INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE messagelog_archive_links (
  group_name TEXT PRIMARY KEY,
  digest     TEXT NOT NULL,
  file_name  TEXT NOT NULL
);
CREATE TABLE messagelog_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql"},
    // The message log's bytes apart from the rows that change: time-stamping and archiving
    // update a record's small row, never its message and signature again. A batch
    // time-stamp keeps its leaves (the SHA-512 digests of the records' signatures, end to
    // end) and each record its place among them; its ts-hashchain.xml is written when read.
    // ts_hash_chain stays for records time-stamped before. The time-stamp index leaves out
    // records without one, so a new record does not touch it.
    Migration{9, "message log payloads apart",
              R"sql(
CREATE TABLE messagelog_payloads (
  record_id         INTEGER PRIMARY KEY,
  message           BLOB NOT NULL,
  signature         TEXT NOT NULL,
  hash_chain_result TEXT,
  hash_chain        TEXT
);
INSERT INTO messagelog_payloads (record_id, message, signature, hash_chain_result, hash_chain)
  SELECT id, message, signature, hash_chain_result, hash_chain FROM messagelog_records;
ALTER TABLE messagelog_records DROP COLUMN message;
ALTER TABLE messagelog_records DROP COLUMN signature;
ALTER TABLE messagelog_records DROP COLUMN hash_chain_result;
ALTER TABLE messagelog_records DROP COLUMN hash_chain;
ALTER TABLE messagelog_records ADD COLUMN ts_position INTEGER;
ALTER TABLE messagelog_timestamps ADD COLUMN leaves BLOB;
DROP INDEX messagelog_records_timestamp;
CREATE INDEX messagelog_records_timestamp ON messagelog_records (timestamp_id) WHERE timestamp_id IS NOT NULL;
)sql",
              R"sql(
CREATE TABLE messagelog_payloads (
  record_id         BIGINT PRIMARY KEY,
  message           BYTEA NOT NULL,
  signature         TEXT NOT NULL,
  hash_chain_result TEXT,
  hash_chain        TEXT
);
INSERT INTO messagelog_payloads (record_id, message, signature, hash_chain_result, hash_chain)
  SELECT id, message, signature, hash_chain_result, hash_chain FROM messagelog_records;
ALTER TABLE messagelog_records DROP COLUMN message;
ALTER TABLE messagelog_records DROP COLUMN signature;
ALTER TABLE messagelog_records DROP COLUMN hash_chain_result;
ALTER TABLE messagelog_records DROP COLUMN hash_chain;
ALTER TABLE messagelog_records ADD COLUMN ts_position INTEGER;
ALTER TABLE messagelog_timestamps ADD COLUMN leaves BYTEA;
DROP INDEX messagelog_records_timestamp;
CREATE INDEX messagelog_records_timestamp ON messagelog_records (timestamp_id) WHERE timestamp_id IS NOT NULL;
)sql"},
    // Operational monitoring (src/opmon): the records the recorder gathers, a batch per row
    // (JSON lines), with the span of their monitoringDataTs; queries and cleanup go by
    // first_ts (a row spans at most an hour).
    Migration{10, "operational monitoring",
              R"sql(
CREATE TABLE opmon_batches (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  first_ts INTEGER NOT NULL,
  last_ts  INTEGER NOT NULL,
  records  INTEGER NOT NULL,
  data     BLOB NOT NULL
);
CREATE INDEX opmon_batches_first_ts ON opmon_batches (first_ts, id);
)sql",
              R"sql(
CREATE TABLE opmon_batches (
  id       BIGSERIAL PRIMARY KEY,
  first_ts BIGINT NOT NULL,
  last_ts  BIGINT NOT NULL,
  records  BIGINT NOT NULL,
  data     BYTEA NOT NULL
);
CREATE INDEX opmon_batches_first_ts ON opmon_batches (first_ts, id);
)sql"},
    // Keys of hardware (PKCS#11) tokens: the key stays on its device, so the row holds its
    // public key and neither a sealed nor an imported form; the software token's ('0') keys
    // still need one of the two. (SQLite cannot alter a CHECK: the table is copied.)
    Migration{11, "hardware token keys",
              R"sql(
CREATE TABLE token_keys_v11 (
  key_id        TEXT PRIMARY KEY,
  token_id      TEXT NOT NULL,
  usage         TEXT CHECK (usage IN ('SIGNING', 'AUTHENTICATION')),
  friendly_name TEXT NOT NULL,
  label         TEXT NOT NULL DEFAULT '',
  public_key    BLOB,
  key_pkcs12    BLOB,
  key_wrapped   BLOB,
  created_at    TEXT NOT NULL,
  CHECK (token_id <> '0' OR key_pkcs12 IS NOT NULL OR key_wrapped IS NOT NULL),
  CHECK (token_id = '0' OR public_key IS NOT NULL)
);
INSERT INTO token_keys_v11 (key_id, token_id, usage, friendly_name, label, public_key, key_pkcs12, key_wrapped,
                            created_at)
  SELECT key_id, token_id, usage, friendly_name, label, public_key, key_pkcs12, key_wrapped, created_at
  FROM token_keys;
DROP TABLE token_keys;
ALTER TABLE token_keys_v11 RENAME TO token_keys;
)sql",
              R"sql(
ALTER TABLE token_keys DROP CONSTRAINT token_keys_key_present;
ALTER TABLE token_keys ADD CONSTRAINT token_keys_key_present
  CHECK (token_id <> '0' OR key_pkcs12 IS NOT NULL OR key_wrapped IS NOT NULL);
ALTER TABLE token_keys ADD CONSTRAINT token_keys_hardware_public_key CHECK (token_id = '0' OR public_key IS NOT NULL);
)sql"},
    // The audit trail the console shows: each audit record as the audit stream wrote it (its
    // JSON in `record`), kept for admin.audit_log_retention_days and at most
    // admin.audit_log_max_records. Times are unix milliseconds; read newest first, by event and user.
    Migration{12, "audit log",
              R"sql(
CREATE TABLE audit_log (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms   INTEGER NOT NULL,
  event     TEXT NOT NULL,
  user_name TEXT NOT NULL,
  record    TEXT NOT NULL
);
CREATE INDEX audit_log_time ON audit_log (time_ms);
CREATE INDEX audit_log_event ON audit_log (event, id);
CREATE INDEX audit_log_user ON audit_log (user_name, id);
)sql",
              R"sql(
CREATE TABLE audit_log (
  id        BIGSERIAL PRIMARY KEY,
  time_ms   BIGINT NOT NULL,
  event     TEXT NOT NULL,
  user_name TEXT NOT NULL,
  record    TEXT NOT NULL
);
CREATE INDEX audit_log_time ON audit_log (time_ms);
CREATE INDEX audit_log_event ON audit_log (event, id);
CREATE INDEX audit_log_user ON audit_log (user_name, id);
)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace roadside::storage
