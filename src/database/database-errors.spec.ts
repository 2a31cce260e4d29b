import { QueryFailedError } from 'typeorm';
import { mapDatabaseError } from './database-errors';

function queryFailed(
  code: string,
  message = 'driver text with "constraint" and SQL',
): QueryFailedError {
  return new QueryFailedError(
    'INSERT INTO messages ...',
    [],
    Object.assign(new Error(message), { code }),
  );
}

describe('mapDatabaseError', () => {
  it.each([
    ['statement timeout', queryFailed('57014')],
    ['lock timeout', queryFailed('55P03')],
    ['deadlock', queryFailed('40P01')],
    ['server shutting down', queryFailed('57P01')],
    ['connection failure class', queryFailed('08006')],
    ['too many connections', queryFailed('53300')],
    [
      'refused socket',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    ['full pool', new Error('timeout exceeded when trying to connect')],
    ['lost connection', new Error('Connection terminated unexpectedly')],
    [
      'released runner',
      Object.assign(new Error('Query runner already released. Cannot run queries anymore.'), {
        name: 'QueryRunnerAlreadyReleasedError',
      }),
    ],
  ])('maps %s to a transient 503 with a fixed message', (_name, error) => {
    expect(mapDatabaseError(error)).toMatchObject({
      status: 503,
      transient: true,
      message: 'the database is unavailable or too slow right now; retry shortly',
    });
  });

  it('maps a unique violation to 409 and bad data to 400, never echoing the driver', () => {
    expect(mapDatabaseError(queryFailed('23505'))).toMatchObject({
      status: 409,
      message: 'the request conflicts with data already stored',
    });
    expect(mapDatabaseError(queryFailed('22021'))).toMatchObject({
      status: 400,
      message: 'a value in the request cannot be stored',
    });
  });

  it('leaves everything else to the generic 500', () => {
    expect(mapDatabaseError(new TypeError('x is undefined'))).toBeNull();
    expect(mapDatabaseError(queryFailed('42P01'))).toBeNull();
    expect(mapDatabaseError('a string')).toBeNull();
  });
});
