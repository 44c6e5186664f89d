/**
 * `POST /api/ask` (docs/http-api.md): a question about an uploaded image (or the `image_id` of an
 * earlier upload), answered by the `vqa` task as a stream of events: `upload`, `ocr`, a reasoning
 * model's `thinking`, `delta`s, `done`. OCR grounding loads the OCR model only when the task asks for it.
 */
import { readFile } from 'node:fs/promises';
import { Hono } from 'hono';
import type { TextRecognitionModel } from '../../models/spec/index.ts';
import { type VqaImage, vqaStream } from '../../tasks/vqa/index.ts';
import { type AskRequest, parseAskForm } from '../api/ask-request.ts';
import { invalidRequest, notFound } from '../http-errors.ts';
import { acceptImage } from '../media/accept-image.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { requestSignal } from '../middleware/request-context.ts';
import type { ModelLease } from '../model-service.ts';
import { formFile, type MultipartForm, readMultipart } from '../multipart.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { eventStream } from '../sse/event-stream.ts';
import type { StoredFile } from '../uploads/file-store.ts';

const FORM_OVERHEAD_BYTES = 256 * 1024;

export function apiAskRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { limits } = services;

  app.post('/api/ask', limitBody(limits.imageUploadBytes + FORM_OVERHEAD_BYTES), async (c) => {
    const form = await readMultipart(c);
    const request = parseAskForm(form, limits.maxQuestionChars, limits.maxPromptChars);
    const { image, upload } = await readImage(form, request, services);
    const signal = requestSignal(c);
    const lease = await services.models.acquire('visionChat', request.model, signal);
    let ocrLease: Promise<ModelLease<'ocr'>> | undefined;
    const loadOcr = async (): Promise<TextRecognitionModel> => {
      ocrLease ??= services.models.acquire('ocr', undefined, signal);
      return (await ocrLease).model;
    };
    const release = () => {
      lease.release();
      ocrLease?.then((held) => held.release()).catch(() => undefined);
    };
    return eventStream(
      c,
      services,
      async (send, streamSignal) => {
        if (upload) await send('upload', { image_id: upload.name, image_url: upload.url });
        const parts = vqaStream({
          model: lease.model,
          image,
          question: request.question,
          history: request.history,
          ocr: loadOcr,
          ocrMode: request.ocr,
          signal: streamSignal,
          ...definedSampling(request),
        });
        for await (const part of parts) {
          if (part.type === 'ocr') {
            if (part.ocr.ran) await send('ocr', ocrEvent(part.ocr));
          } else if (part.type === 'text-delta') {
            await send('delta', { text: part.text });
          } else if (part.type === 'reasoning-delta') {
            await send('thinking', { text: part.text });
          } else {
            const { result } = part;
            await send('done', {
              question: result.question,
              answer: result.answer,
              ...(result.reasoning === undefined ? {} : { reasoning: result.reasoning }),
              model: result.model,
              ...(result.ocr?.ran ? { ocr: ocrEvent(result.ocr) } : {}),
              usage: result.usage,
              timings: result.timings,
            });
          }
        }
      },
      release,
    );
  });

  return app;
}

function ocrEvent(ocr: { text: string; confidence: number; used: boolean }) {
  return { text: ocr.text, confidence: ocr.confidence, used: ocr.used };
}

function definedSampling(request: AskRequest) {
  return {
    ...(request.maxNewTokens === undefined ? {} : { maxNewTokens: request.maxNewTokens }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { topP: request.topP }),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
  };
}

/** The new upload (checked, then stored under a server-made name) or the earlier one `image_id` names. */
async function readImage(
  form: MultipartForm,
  request: AskRequest,
  services: ServerServices,
): Promise<{ image: VqaImage; upload?: StoredFile }> {
  const { limits } = services;
  const hasFile = form.files.has('image');
  if (hasFile && request.imageId !== undefined) {
    throw invalidRequest('send either an image file or an image_id, not both', 'image_id');
  }
  if (!hasFile && request.imageId === undefined) {
    throw invalidRequest(
      "missing required file 'image' (or the image_id of an earlier upload)",
      'image',
      'missing_parameter',
    );
  }
  let bytes: Uint8Array;
  let originalName: string | undefined;
  let declaredType: string | undefined;
  if (request.imageId !== undefined) {
    const found = await services.files.find('uploads', request.imageId);
    if (!found) throw notFound('no earlier upload has this image_id', 'image_not_found', 'image_id');
    bytes = new Uint8Array(await readFile(found.path));
  } else {
    const { bytes: sent, file } = await formFile(form, 'image');
    if (sent.length > limits.imageUploadBytes) {
      throw invalidRequest(`image is over ${limits.imageUploadBytes} bytes`, 'image', 'image_too_large');
    }
    bytes = sent;
    originalName = file.name;
    declaredType = file.type;
  }
  const param = request.imageId === undefined ? 'image' : 'image_id';
  const accepted = await acceptImage(bytes, { maxPixels: limits.maxPixels, param, unknownFormatStatus: 415 });
  const image: VqaImage = { ...accepted, name: param, mediaType: `image/${accepted.format}` };
  if (request.imageId !== undefined) return { image };
  const upload = await services.files.save('uploads', accepted.bytes, accepted.extension, {
    originalName,
    declaredType,
    width: accepted.width,
    height: accepted.height,
  });
  return { image, upload };
}
