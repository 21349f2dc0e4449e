/**
 * The services that write to the system event log; GET /v1/admin/system-logs filters by these
 * (anything else is a 400). A module that starts logging adds its name here.
 */
export const SYSTEM_LOG_SERVICES = [
  'analytics',
  'auth',
  'backup',
  'billing',
  'crawl',
  'entities',
  'leads',
  'maintenance',
  'storage',
  'tasks',
  'users',
] as const;
