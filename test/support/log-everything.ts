// Imported first by tests that must see every log line the product could write: the most verbose
// level, and Powertools' own event logging switched on as a careless deployment might.
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
