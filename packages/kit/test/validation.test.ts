import t from 'tap';
import { isPhone, isPositiveInt64 } from '../src/index.ts';

t.test('phone numbers: E.164 with optional separators', async (t) => {
  for (const good of ['+15551234567', '+7 (495) 123-45-67', '+44 20 7946 0958', '+491761234567', '+1234567'])
    t.ok(isPhone(good), `${good} is a phone number`);
  for (const bad of ['5551234567', '+0123456789', '+1', '+12345', 'phone', '+1555123456789012', '+1 555 123 4567 ext 1', '', '+1--5551234567', '+15551234567\n'])
    t.notOk(isPhone(bad), `${JSON.stringify(bad)} is not`);
});

t.test('int64 ids: positive, decimal, within 2^63-1', async (t) => {
  for (const good of ['1', '42', '9223372036854775807']) t.ok(isPositiveInt64(good), good);
  for (const bad of ['0', '-1', '01', '1.5', '1e3', 'abc', '9223372036854775808', '99999999999999999999', ' 1', ''])
    t.notOk(isPositiveInt64(bad), JSON.stringify(bad));
});
