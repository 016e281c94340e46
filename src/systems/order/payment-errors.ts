import { AppError, ErrorCode } from '../../errors.js';

/** Thrown inside a pay's transaction to roll it back: the payment was settled by a concurrent callback or confirmation. */
export class PaymentSettledMeanwhile extends AppError {
  constructor(paymentId: string) {
    super(ErrorCode.CONFLICT, `payment ${paymentId} was settled meanwhile`, { details: { paymentId } });
  }
}

export const paymentNotFound = (paymentId: string) =>
  new AppError(ErrorCode.PAYMENT_NOT_FOUND, `no payment '${paymentId}' was created by this shop`, { details: { paymentId } });

export const paymentMismatch = (paymentId: string, what: string) =>
  new AppError(ErrorCode.PAYMENT_MISMATCH, `payment '${paymentId}': ${what} differs from the payment this shop created`, {
    details: { paymentId },
  });

export const signatureInvalid = (reason: string) =>
  new AppError(ErrorCode.SIGNATURE_INVALID, `payment callback refused: signature ${reason}`, { details: { reason } });
