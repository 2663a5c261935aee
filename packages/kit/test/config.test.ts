import t from 'tap';
import { ConfigError, loadConfig, serviceConfigSchema, Type } from '../src/index.ts';

const schema = serviceConfigSchema({ FEATURE_ON: Type.Boolean({ default: false }) });

t.test('defaults apply and strings become the declared types', async (t) => {
  const config = loadConfig(schema, { PORT: '9001', FEATURE_ON: 'true', UNRELATED: 'x' });
  t.equal(config.PORT, 9001);
  t.equal(config.FEATURE_ON, true);
  t.equal(config.HOST, '0.0.0.0');
  t.equal(config.LOG_LEVEL, 'info');
  t.equal(config.DATABASE_URL, undefined);
  t.notOk('UNRELATED' in config, 'variables the schema does not declare are not carried');
});

t.test('an empty variable counts as unset', async (t) => {
  t.equal(loadConfig(schema, { PORT: '' }).PORT, 8000);
});

t.test('every bad variable is named with what was given', async (t) => {
  const error = t.throws(() => loadConfig(schema, { PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' })) as ConfigError;
  t.type(error, ConfigError);
  t.match(error.message, /^invalid configuration: /);
  t.match(error.problems.join('\n'), /PORT must be integer \(got "eighty"\)/);
  t.match(error.problems.join('\n'), /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)/);
  t.match(error.problems.join('\n'), /DATABASE_URL .*\(got "mysql:\/\/x"\)/);
  t.equal(error.problems.length, 3, 'one problem per variable');
});

t.test('a required variable that is missing is named', async (t) => {
  const strict = serviceConfigSchema({ API_KEY: Type.String({ minLength: 1 }) });
  const error = t.throws(() => loadConfig(strict, {})) as ConfigError;
  t.match(error.message, /API_KEY .*it is missing/);
});

t.test('out of range numbers are refused', async (t) => {
  t.throws(() => loadConfig(schema, { PORT: '70000' }), /PORT must be <= 65535/);
});

t.test('CORS_ORIGINS takes a list of origins, never a wildcard', async (t) => {
  const schema = serviceConfigSchema({});
  t.equal(loadConfig(schema, { CORS_ORIGINS: 'https://a.example, http://localhost:3000' }).CORS_ORIGINS, 'https://a.example, http://localhost:3000');
  t.equal(loadConfig(schema, {}).CORS_ORIGINS, undefined, 'unset: closed');
  t.throws(() => loadConfig(schema, { CORS_ORIGINS: '*' }), ConfigError);
  t.throws(() => loadConfig(schema, { CORS_ORIGINS: 'a.example' }), ConfigError);
});
