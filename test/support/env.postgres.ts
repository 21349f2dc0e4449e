// e2e on PostgreSQL (+ Redis when TEST_REDIS_URL is set). The URL picks PostgreSQL column
// types at import; each suite then gets its own fresh database (test/support/test-app.ts).
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.DATABASE_URL = process.env.TEST_DATABASE_URL;
if (process.env.TEST_REDIS_URL) process.env.REDIS_URL = process.env.TEST_REDIS_URL;
else delete process.env.REDIS_URL;
delete process.env.MONGO_URL;
process.env.CORNERSTONE_TEST_TARGET = 'postgres';
