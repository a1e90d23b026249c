/**
 * Every source's secret: it exists, is not scheduled for deletion, has a value, and the value
 * is the JSON the functions read. DescribeSecret first, so "no such secret" and "a secret
 * with no value" are told apart; then GetSecretValue, parsed by the functions' own parser.
 * The value is never printed, nor any part of it.
 */
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { EXPECTED_SECRET_SHAPE, parseCredentials, SecretError } from '../../functions/adapters/secrets.js';
import { describeError, errorName, type Finding } from './findings.js';
import { awsCommand, shellQuote, type DoctorClients, type DoctorTarget } from './target.js';

const SECRET_OUTPUT = /^SecretName/;
const PLACEHOLDER_VALUE = `'{"appkey":"YOUR_APP_KEY","token":"YOUR_TOKEN"}'`;
/** What the stack's generateSecretString leaves until the operator sets the real value. */
const STACK_PLACEHOLDER = /^[A-Za-z0-9]{32}$/;

/** The sources' secret names, from the stack's `SecretName*` outputs; the source is the name's last part. */
export function secretsOf(outputs: Record<string, string>): Array<{ source: string; secretId: string }> {
  return Object.entries(outputs)
    .filter(([key]) => SECRET_OUTPUT.test(key))
    .map(([key, secretId]) => ({ source: /\/conveyour\/([^/]+)$/.exec(secretId)?.[1] ?? key.replace(SECRET_OUTPUT, ''), secretId }))
    .sort((a, b) => a.source.localeCompare(b.source));
}

export async function checkSecrets(target: DoctorTarget, clients: DoctorClients): Promise<Finding[]> {
  const secrets = secretsOf(target.outputs);
  if (secrets.length === 0) return [{ check: 'secret', subject: '-', verdict: 'skipped', detail: 'the outputs name no source secret (SecretName...)' }];
  return Promise.all(secrets.map(({ source, secretId }) => checkSecret(target, clients, source, secretId)));
}

async function checkSecret(target: DoctorTarget, clients: DoctorClients, source: string, secretId: string): Promise<Finding> {
  const problem = (detail: string, fix: string[]): Finding => ({ check: 'secret', subject: source, verdict: 'problem', detail, fix });
  const putValue = awsCommand(target, 'secretsManager', `put-secret-value --secret-id ${shellQuote(secretId)} --secret-string ${PLACEHOLDER_VALUE}`);
  const denied = (action: string, error: unknown) =>
    problem(`access denied: these credentials may not call secretsmanager:${action} on ${secretId} (${describeError(error)})`, [
      `${awsCommand(target, 'sts', 'get-caller-identity')}   # who was denied; run the doctor as a principal allowed secretsmanager:DescribeSecret and GetSecretValue`,
    ]);

  let deletedDate: Date | undefined;
  try {
    ({ DeletedDate: deletedDate } = await clients.secretsManager.send(new DescribeSecretCommand({ SecretId: secretId })));
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') {
      return problem(`secret ${secretId} does not exist`, [awsCommand(target, 'secretsManager', `create-secret --name ${shellQuote(secretId)} --secret-string ${PLACEHOLDER_VALUE}`)]);
    }
    if (errorName(error) === 'AccessDeniedException') return denied('DescribeSecret', error);
    return problem(`could not describe secret ${secretId}: ${describeError(error)}`, []);
  }
  if (deletedDate !== undefined) {
    return problem(`secret ${secretId} is scheduled for deletion on ${deletedDate.toISOString()}: the functions cannot read it`, [
      awsCommand(target, 'secretsManager', `restore-secret --secret-id ${shellQuote(secretId)}`),
    ]);
  }

  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await clients.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId })));
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return problem(`secret ${secretId} exists but has no value (no AWSCURRENT version)`, [putValue]);
    if (errorName(error) === 'AccessDeniedException') return denied('GetSecretValue', error);
    return problem(`could not read secret ${secretId}: ${describeError(error)}`, []);
  }
  try {
    parseCredentials(secretId, secretString);
  } catch (error) {
    if (!(error instanceof SecretError)) throw error;
    const detail = secretString !== undefined && STACK_PLACEHOLDER.test(secretString) ? `secret ${secretId} still holds the placeholder the stack generated; it must be ${EXPECTED_SECRET_SHAPE}` : error.message;
    return problem(detail, [putValue]);
  }
  return { check: 'secret', subject: source, verdict: 'ok', detail: `${secretId} is set and readable: ${EXPECTED_SECRET_SHAPE.replace(/"\.\.\."/g, 'set')}` };
}
