/**
 * Errors of the remoting layer. They extend the messaging API's MqError so an engine can pass them on
 * unchanged: transport failures carry TIMEOUT / UNAVAILABLE / CLOSED, and a broker's refusal is mapped from
 * its ResponseCode to the nearest MqErrorCode while keeping the raw code and remark for diagnosis.
 */
import { MqError, MqErrorCode } from '../../errors.js';
import { RequestCodeName, ResponseCode } from './protocol.js';

export type RemotingFailure = 'timeout' | 'connect' | 'disconnected' | 'closed' | 'protocol';

const FAILURE_CODE: Record<RemotingFailure, MqErrorCode> = {
  timeout: MqErrorCode.TIMEOUT,
  connect: MqErrorCode.UNAVAILABLE,
  disconnected: MqErrorCode.UNAVAILABLE,
  closed: MqErrorCode.CLOSED,
  protocol: MqErrorCode.UNAVAILABLE,
};

/** The call did not get a response: timed out, could not connect, connection lost, client closed, garbage. */
export class RemotingError extends MqError {
  override readonly name = 'RemotingError';
  constructor(
    readonly kind: RemotingFailure,
    readonly address: string,
    message: string,
    cause?: unknown,
  ) {
    super(FAILURE_CODE[kind], message, {
      cause,
      retriable: kind !== 'closed' && kind !== 'protocol',
      details: { address, kind },
    });
  }
}

/** The server answered with a non-success ResponseCode. */
export class RemotingResponseError extends MqError {
  override readonly name = 'RemotingResponseError';
  readonly responseCode: number;
  readonly remark?: string;
  readonly requestCode: number;
  readonly address: string;

  constructor(requestCode: number, address: string, responseCode: number, remark: string | undefined, what?: string) {
    const { code, retriable } = mapResponseCode(responseCode);
    const op = RequestCodeName[requestCode] ?? `request ${requestCode}`;
    super(code, `${what ?? op} failed on ${address}: ${remark?.trim() || 'no remark'} (response code ${responseCode})`, {
      retriable,
      details: { requestCode, responseCode, remark, address },
    });
    this.responseCode = responseCode;
    this.remark = remark;
    this.requestCode = requestCode;
    this.address = address;
  }
}

function mapResponseCode(code: number): { code: MqErrorCode; retriable: boolean } {
  switch (code) {
    case ResponseCode.TOPIC_NOT_EXIST:
      return { code: MqErrorCode.TOPIC_NOT_FOUND, retriable: false };
    case ResponseCode.INVALID_PARAMETER:
    case ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST:
      return { code: MqErrorCode.INVALID_ARGUMENT, retriable: false };
    case ResponseCode.QUERY_NOT_FOUND:
      return { code: MqErrorCode.MESSAGE_NOT_FOUND, retriable: false };
    case ResponseCode.REQUEST_CODE_NOT_SUPPORTED:
    case ResponseCode.NO_PERMISSION:
      return { code: MqErrorCode.UNSUPPORTED, retriable: false };
    case ResponseCode.SYSTEM_BUSY:
    case ResponseCode.SERVICE_NOT_AVAILABLE:
      return { code: MqErrorCode.UNAVAILABLE, retriable: true };
    default:
      return { code: MqErrorCode.UNAVAILABLE, retriable: false };
  }
}

/** Human text for a socket error, naming the address and what to do. */
export function describeSocketError(address: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${address}: nothing listens there. Is RocketMQ running (bash scripts/rocketmq/status.sh / start.sh) and is the address right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host of ${address} (${error.code}): check the address`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `connection to ${address} reset by the peer (${error.code}): the server restarted or dropped us`;
    case 'ETIMEDOUT':
      return `cannot connect to ${address}: ${error.message}. Is the host up and the port open?`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${address} is unreachable (${error.code}): check the network / address`;
    default:
      return `socket error on ${address}: ${error.message}`;
  }
}
