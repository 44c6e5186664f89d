/**
 * `POST /qa`, the seed's visual question answering route: multipart `image` + form field `question`
 * (not a query parameter, the seed's bug) → `{status: "success", question, answer, image_url}`.
 * Answered by the `vqa` task. The upload is checked by its bytes and stored under a name the server makes. Failures keep the
 * seed's `{status: "error", message}` beside the usual `error` object, with a 4xx for bad input.
 */
import { Hono } from 'hono';
import { VQA_DEFAULTS, vqa } from '../../tasks/vqa/index.ts';
import { invalidRequest } from '../http-errors.ts';
import { acceptImage } from '../media/accept-image.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { respondWithError } from '../middleware/error-handler.ts';
import { requestSignal } from '../middleware/request-context.ts';
import { formField, formFile, readMultipart } from '../multipart.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { NO_CONTROL_CHARACTERS } from '../validation.ts';

/** Room for the form's boundaries and text fields on top of the image itself. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

export function qaRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { limits } = services;

  app.post('/qa', limitBody(limits.imageUploadBytes + FORM_OVERHEAD_BYTES), async (c) => {
    try {
      const form = await readMultipart(c);
      const question = checkQuestion(formField(form, 'question'), c.req.query('question'), limits.maxQuestionChars);
      const modelName = formField(form, 'model');
      if (modelName !== undefined && !NO_CONTROL_CHARACTERS.test(modelName)) {
        throw invalidRequest('model must not contain control characters', 'model');
      }
      const { bytes, file } = await formFile(form, 'image');
      if (bytes.length > limits.imageUploadBytes) {
        throw invalidRequest(`image is over ${limits.imageUploadBytes} bytes`, 'image', 'image_too_large');
      }
      const image = await acceptImage(bytes, { maxPixels: limits.maxPixels, param: 'image', unknownFormatStatus: 415 });
      const signal = requestSignal(c);
      const lease = await services.models.acquire('visionChat', modelName, signal);
      try {
        if (!lease.model.acceptsImages) {
          throw invalidRequest(`the model '${modelName}' reads text only`, 'model', 'images_not_supported');
        }
        const stored = await services.files.save('uploads', image.bytes, image.extension, {
          originalName: file.name,
          declaredType: file.type,
          width: image.width,
          height: image.height,
        });
        // The seed's settings (200 new tokens, temperature 0.3, top_p 0.9), no OCR: the seed had none.
        const { answer } = await vqa({
          ...VQA_DEFAULTS,
          model: lease.model,
          image: { ...image, name: 'image', mediaType: `image/${image.format}` },
          question,
          signal,
        });
        return c.json({ status: 'success', question, answer, image_url: stored.url });
      } finally {
        lease.release();
      }
    } catch (error) {
      return respondWithError(c, error, services.log, (body) => ({
        status: 'error',
        message: body.error.message,
        ...body,
      }));
    }
  });

  return app;
}

function checkQuestion(value: string | undefined, fromQuery: string | undefined, maxChars: number): string {
  if (value === undefined) {
    const hint = fromQuery === undefined ? '' : ' (it is read from the form, not from the query string)';
    throw invalidRequest(`missing required form field 'question'${hint}`, 'question', 'missing_parameter');
  }
  const question = value.trim();
  if (question === '') throw invalidRequest('question is empty', 'question', 'missing_parameter');
  if (question.length > maxChars) {
    throw invalidRequest(
      `question has ${question.length} characters, over the limit of ${maxChars}`,
      'question',
      'prompt_too_long',
    );
  }
  if (!NO_CONTROL_CHARACTERS.test(question)) {
    throw invalidRequest('question must not contain NUL or other control characters', 'question', 'invalid_parameter');
  }
  return question;
}
