/** What one HTTP call answered: a status (0 when no answer came: refused, reset, timed out) and its JSON body. */
export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the harness reads fields of many different answers
  body: any;
  /** Why no answer came (status 0). */
  error?: string;
}

/** Requests the harness sent and how they were answered, and which are still waiting (for the graceful-stop check). */
export interface CallLog {
  sent: number;
  byClass: Record<'2xx' | '4xx' | '5xx' | 'none', number>;
  /** Requests in flight now: their start time, so a stop can tell which were already being handled. */
  inFlight: Map<number, number>;
  /** Started before `since` and not answered: see gracefulStop. */
  cutAfter?: { since: number; cut: number };
}

export function newCallLog(): CallLog {
  return { sent: 0, byClass: { '2xx': 0, '4xx': 0, '5xx': 0, none: 0 }, inFlight: new Map() };
}

/** JSON over HTTP with a timeout; never throws: a failure to answer is status 0. */
export async function call(
  log: CallLog,
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; timeoutMs?: number } = {},
): Promise<Answer> {
  const id = log.sent++;
  const started = Date.now();
  log.inFlight.set(id, started);
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let answer: Answer;
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
    });
    const text = await res.text();
    answer = { status: res.status, body: text ? safeJson(text) : undefined };
  } catch (error) {
    answer = { status: 0, body: undefined, error: (error as Error).cause ? String((error as Error).cause) : String(error) };
  }
  log.inFlight.delete(id);
  if (answer.status === 0) {
    log.byClass.none += 1;
    if (log.cutAfter && started <= log.cutAfter.since) log.cutAfter.cut += 1;
  } else log.byClass[answer.status < 300 ? '2xx' : answer.status < 500 ? '4xx' : '5xx'] += 1;
  return answer;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
