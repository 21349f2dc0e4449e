// Unit tests: no servers, quiet logs, SQLite column types.
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL = 'silent';
process.env.DATABASE_URL = 'sqlite::memory:';
delete process.env.REDIS_URL;
delete process.env.MONGO_URL;
