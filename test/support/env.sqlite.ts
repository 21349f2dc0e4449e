// e2e on the embedded default: SQLite in memory, in-memory cache. Each suite gets its own database.
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.DATABASE_URL = 'sqlite::memory:';
delete process.env.REDIS_URL;
delete process.env.MONGO_URL;
process.env.CORNERSTONE_TEST_TARGET = 'sqlite';
