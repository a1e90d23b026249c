/** The little HTTP both in-process AWS emulators (Secrets Manager, Scheduler) need: a whole JSON body in, a JSON answer out. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** `contentType`: each service's own (Scheduler's REST-JSON `application/json`, Secrets Manager's `application/x-amz-json-1.1`). */
export function replyJson(response: ServerResponse, status: number, body: unknown, contentType: string): void {
  response.statusCode = status;
  response.setHeader('content-type', contentType);
  response.end(JSON.stringify(body));
}
