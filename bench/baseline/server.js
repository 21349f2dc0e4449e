'use strict';
/**
 * The bare baseline: what Node + PostgreSQL do on this machine without a framework.
 * node:http + one pg Pool, named prepared statements, hand validation, the same SQL and
 * JSON as the app (./queries.js), and the same access check: the HS256 JWT is verified
 * with node:crypto and the membership is read from PostgreSQL on every request.
 *
 * env: PORT (0 = any; the chosen port is printed as `listening <port>`), DATABASE_URL,
 * JWT_SECRET, DATABASE_POOL_SIZE (20).
 */
const http = require('node:http');
const { createHmac, randomUUID, timingSafeEqual } = require('node:crypto');
const { Pool } = require('pg');
const {
  SQL,
  leadJson,
  userJson,
  encodeCursor,
  decodeCursor,
  likePattern,
  UUID,
} = require('./queries');

const secret = process.env.JWT_SECRET;
if (!secret) {
  process.stderr.write('JWT_SECRET is required\n');
  process.exit(1);
}
const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE || 20),
  application_name: 'cornerstone-bench-baseline',
});

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': status >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

const problem = (res, status, title, detail) =>
  send(res, status, { type: 'about:blank', title, status, detail });

/** The `sub` of a valid, unexpired HS256 token, or null. */
function verifyJwt(header) {
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return null;
  const token = header.slice(7);
  const dot1 = token.indexOf('.');
  const dot2 = token.indexOf('.', dot1 + 1);
  if (dot1 < 0 || dot2 < 0) return null;
  const expected = createHmac('sha256', secret).update(token.slice(0, dot2)).digest();
  const given = Buffer.from(token.slice(dot2 + 1), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const head = JSON.parse(Buffer.from(token.slice(0, dot1), 'base64url').toString('utf8'));
    if (head.alg !== 'HS256') return null;
    const claims = JSON.parse(
      Buffer.from(token.slice(dot1 + 1, dot2), 'base64url').toString('utf8'),
    );
    if (typeof claims.sub !== 'string' || (claims.exp && claims.exp * 1000 < Date.now()))
      return null;
    return claims.sub;
  } catch {
    return null;
  }
}

async function member(userId, entityId) {
  const { rows } = await pool.query({
    name: 'membership',
    text: SQL.membership,
    values: [userId, entityId],
  });
  return rows.length > 0;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 1024 * 1024) reject(new Error('too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CREATE_FIELDS = new Set(['firstName', 'lastName', 'email', 'notes']);
const text = (v, max) => typeof v === 'string' && v.trim().length > 0 && v.length <= max;

function validLead(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  for (const key of Object.keys(body)) if (!CREATE_FIELDS.has(key)) return false;
  return (
    text(body.firstName, 100) &&
    text(body.lastName, 100) &&
    typeof body.email === 'string' &&
    body.email.length <= 255 &&
    EMAIL.test(body.email) &&
    (body.notes === undefined || (typeof body.notes === 'string' && body.notes.length <= 5000))
  );
}

async function listLeads(res, entityId, query) {
  const limitRaw = query.get('limit');
  const limit = limitRaw === null ? 20 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return problem(res, 400, 'Bad Request', 'limit must be 1..100');
  const cursorRaw = query.get('cursor');
  const status = query.get('status');
  const search = query.get('search');
  let result;
  if (cursorRaw) {
    const cursor = decodeCursor(cursorRaw);
    if (!cursor) return problem(res, 400, 'Bad Request', 'cursor is not a valid cursor');
    result = await pool.query({
      name: 'cursorPage',
      text: SQL.cursorPage,
      values: [entityId, cursor.createdAt, cursor.id, limit + 1],
    });
  } else if (status) {
    if (status !== 'PENDING' && status !== 'REACHED_OUT')
      return problem(res, 400, 'Bad Request', 'bad status');
    result = await pool.query({
      name: 'statusPage',
      text: SQL.statusPage,
      values: [entityId, status, limit + 1],
    });
  } else if (search) {
    if (search.length > 100) return problem(res, 400, 'Bad Request', 'search too long');
    const values = [entityId, likePattern(search), limit + 1];
    result = await pool.query({ name: 'searchWindow', text: SQL.searchWindow, values });
    if (result.rows.length <= limit)
      result = await pool.query({ name: 'searchMatches', text: SQL.searchMatches, values });
  } else {
    result = await pool.query({
      name: 'firstPage',
      text: SQL.firstPage,
      values: [entityId, limit + 1],
    });
  }
  const rows = result.rows;
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  send(res, 200, {
    items: page.map(leadJson),
    nextCursor: more && last ? encodeCursor(last.created_at, last.id) : null,
  });
}

async function handle(req, res) {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  if (path === '/health/live' && req.method === 'GET') return send(res, 200, { status: 'ok' });
  const parts = path.split('/'); // ['', 'v1', 'entities', id, 'leads', leadId]
  const userId = verifyJwt(req.headers.authorization);
  if (path === '/v1/auth/me' && req.method === 'GET') {
    if (!userId) return problem(res, 401, 'Unauthorized', 'Invalid or expired credentials');
    const [user, memberships] = await Promise.all([
      pool.query({ name: 'me', text: SQL.me, values: [userId] }),
      pool.query({ name: 'myMemberships', text: SQL.myMemberships, values: [userId] }),
    ]);
    if (user.rows.length === 0)
      return problem(res, 401, 'Unauthorized', 'Invalid or expired credentials');
    const list = memberships.rows.map((m) => ({
      entityId: m.entity_id,
      entityName: m.entity_name,
      role: m.role,
    }));
    return send(res, 200, { ...userJson(user.rows[0]), memberships: list });
  }
  if (parts[1] !== 'v1' || parts[2] !== 'entities' || parts[4] !== 'leads' || parts.length > 6) {
    return problem(res, 404, 'Not Found', 'No such route');
  }
  if (!userId) return problem(res, 401, 'Unauthorized', 'Invalid or expired credentials');
  const entityId = parts[3].toLowerCase();
  if (!UUID.test(entityId)) return problem(res, 400, 'Bad Request', 'entity id must be a UUID');
  if (!(await member(userId, entityId))) return problem(res, 404, 'Not Found', 'Entity not found');

  if (parts.length === 6) {
    if (req.method !== 'GET') return problem(res, 405, 'Method Not Allowed', '');
    const leadId = parts[5].toLowerCase();
    if (!UUID.test(leadId)) return problem(res, 400, 'Bad Request', 'leadId must be a UUID');
    const { rows } = await pool.query({
      name: 'leadById',
      text: SQL.leadById,
      values: [entityId, leadId],
    });
    return rows.length
      ? send(res, 200, leadJson(rows[0]))
      : problem(res, 404, 'Not Found', 'Lead not found');
  }
  if (req.method === 'GET')
    return listLeads(res, entityId, new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1)));
  if (req.method === 'POST') {
    if (!String(req.headers['content-type'] || '').startsWith('application/json')) {
      return problem(res, 415, 'Unsupported Media Type', 'send application/json');
    }
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return problem(res, 400, 'Bad Request', 'malformed JSON');
    }
    if (!validLead(body)) return problem(res, 400, 'Bad Request', 'invalid lead');
    const now = new Date();
    const row = {
      id: randomUUID(),
      entity_id: entityId,
      first_name: body.firstName.trim(),
      last_name: body.lastName.trim(),
      email: body.email.trim().toLowerCase(),
      resume_path: null,
      status: 'PENDING',
      reached_out_at: null,
      notes: body.notes ?? null,
      created_at: now,
      updated_at: now,
    };
    await pool.query({
      name: 'createLead',
      text: SQL.createLead,
      values: [row.id, entityId, row.first_name, row.last_name, row.email, row.notes, now],
    });
    return send(res, 201, leadJson(row));
  }
  return problem(res, 405, 'Method Not Allowed', '');
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    if (!res.headersSent) problem(res, 500, 'Internal Server Error', error.message);
    else res.destroy();
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => {
  server.close(() => pool.end().then(() => process.exit(0)));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
