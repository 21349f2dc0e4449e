'use strict';
/**
 * The SQL of every measured route, as the app's repositories issue it (see bench/README.md,
 * "Same SQL"), and the JSON shapes the app returns. Shared by the bare baseline server and
 * by run.js, which records the EXPLAIN plan of each of these before measuring.
 */

const LEAD_COLUMNS =
  'id, entity_id, first_name, last_name, email, resume_path, resume_content_type, resume_size, ' +
  'resume_file_name, status, reached_out_at, notes, created_at, updated_at';
const SEARCH_WINDOW = 2000; // src/leads/leads.search.ts
const MATCH = (a) =>
  `(lower(${a}first_name) LIKE $2 ESCAPE '\\' OR lower(${a}last_name) LIKE $2 ESCAPE '\\' OR ${a}email LIKE $2 ESCAPE '\\')`;

const SQL = {
  /** The access check: an active user with an active membership in an active entity. */
  membership: `SELECT m.role FROM user_memberships m
    JOIN entities e ON e.id = m.entity_id
    JOIN users u ON u.id = m.user_id
    WHERE m.user_id = $1 AND m.entity_id = $2 AND m.is_active AND e.is_active AND u.is_active`,
  me: `SELECT id, email, username, first_name, last_name, is_active, is_admin, last_login_at, created_at, updated_at
    FROM users WHERE id = $1 AND is_active`,
  myMemberships: `SELECT m.entity_id, e.name AS entity_name, m.role FROM user_memberships m
    JOIN entities e ON e.id = m.entity_id AND e.is_active
    WHERE m.user_id = $1 AND m.is_active ORDER BY m.created_at ASC, m.id ASC`,
  leadById: `SELECT ${LEAD_COLUMNS} FROM leads WHERE entity_id = $1 AND id = $2`,
  firstPage: `SELECT ${LEAD_COLUMNS} FROM leads WHERE entity_id = $1
    ORDER BY created_at DESC, id DESC LIMIT $2`,
  cursorPage: `SELECT ${LEAD_COLUMNS} FROM leads WHERE entity_id = $1 AND (created_at, id) < ($2, $3)
    ORDER BY created_at DESC, id DESC LIMIT $4`,
  statusPage: `SELECT ${LEAD_COLUMNS} FROM leads WHERE entity_id = $1 AND status = $2
    ORDER BY created_at DESC, id DESC LIMIT $3`,
  /** Search, step 1 (as the app): filter the newest SEARCH_WINDOW rows walked by the keyset index. */
  searchWindow: `SELECT * FROM (SELECT ${LEAD_COLUMNS} FROM leads WHERE entity_id = $1
    ORDER BY created_at DESC, id DESC LIMIT ${SEARCH_WINDOW}) w
    WHERE ${MATCH('w.')} ORDER BY created_at DESC, id DESC LIMIT $3`,
  /** Search, step 2 when step 1 did not fill the page: every match via the trigram bitmap, then sort. */
  searchMatches: `WITH m AS MATERIALIZED (SELECT ${LEAD_COLUMNS} FROM leads WHERE entity_id = $1 AND ${MATCH('')})
    SELECT * FROM m ORDER BY created_at DESC, id DESC LIMIT $3`,
  /** The app sets id and timestamps itself and reads nothing back: one INSERT, no RETURNING. */
  createLead: `INSERT INTO leads (${LEAD_COLUMNS})
    VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, NULL, 'PENDING', NULL, $6, $7, $7)`,
};

const iso = (d) => (d == null ? null : d.toISOString());

function leadJson(row) {
  return {
    id: row.id,
    entityId: row.entity_id,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    status: row.status,
    reachedOutAt: iso(row.reached_out_at),
    notes: row.notes,
    resume: row.resume_path
      ? {
          contentType: row.resume_content_type,
          size: row.resume_size,
          fileName: row.resume_file_name,
        }
      : null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function userJson(row) {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    isActive: row.is_active,
    isAdmin: row.is_admin,
    lastLoginAt: iso(row.last_login_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** The app's cursor: base64url of JSON [createdAt ISO, id] (src/common/pagination). */
function encodeCursor(createdAt, id) {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor) {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const createdAt = new Date(String(at));
    if (typeof at !== 'string' || Number.isNaN(createdAt.getTime()) || !UUID.test(String(id)))
      return null;
    return { createdAt, id: String(id).toLowerCase() };
  } catch {
    return null;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Lower-cases and escapes LIKE wildcards in a search fragment, as the app does. */
function likePattern(term) {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

module.exports = {
  SEARCH_WINDOW,
  SQL,
  LEAD_COLUMNS,
  leadJson,
  userJson,
  encodeCursor,
  decodeCursor,
  likePattern,
  UUID,
};
