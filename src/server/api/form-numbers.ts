/** Numbers sent as multipart text fields: a plain decimal, in range, or a 400 naming the field. */
import { z } from 'zod';

export function numberField(bounds: { integer?: boolean; min: number; max: number }) {
  const pattern = bounds.integer ? /^-?\d{1,16}$/ : /^-?\d{1,16}(\.\d{1,16})?$/;
  return z
    .string()
    .trim()
    .regex(pattern, bounds.integer ? 'must be a whole number' : 'must be a number')
    .transform(Number)
    .pipe(z.number().min(bounds.min).max(bounds.max));
}
