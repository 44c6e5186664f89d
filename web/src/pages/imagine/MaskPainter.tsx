/**
 * Inpainting on the Imagine page: paint over the start picture where it is to be repainted. The
 * strokes are kept in the picture's own proportions (0–1), so the mask is drawn at the picture's
 * full size whatever size it is shown at, in OpenAI's convention: opaque where the picture is kept,
 * transparent where it is repainted.
 */
import { type PointerEvent, useEffect, useRef, useState } from 'react';
import { useI18n } from '../../i18n/context.tsx';

type Stroke = Array<{ x: number; y: number }>;

/** Brush diameter as a share of the picture's width. */
const BRUSH = 0.12;

interface MaskPainterProps {
  imageUrl: string;
  disabled: boolean;
  onMask: (mask: Blob | undefined) => void;
}

function drawStrokes(context: CanvasRenderingContext2D, strokes: Stroke[], width: number, height: number): void {
  context.lineCap = 'round';
  context.lineJoin = 'round';
  context.lineWidth = BRUSH * width;
  for (const stroke of strokes) {
    context.beginPath();
    stroke.forEach((point, index) => {
      const [x, y] = [point.x * width, point.y * height];
      if (index === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
    // A tap is a dot.
    if (stroke.length === 1) context.lineTo(stroke[0]!.x * width + 0.01, stroke[0]!.y * height);
    context.stroke();
  }
}

/** The mask at the picture's size: opaque, with the strokes cut out. */
function maskBlob(strokes: Stroke[], width: number, height: number): Promise<Blob | undefined> {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) return Promise.resolve(undefined);
  context.fillStyle = '#000';
  context.fillRect(0, 0, width, height);
  context.globalCompositeOperation = 'destination-out';
  drawStrokes(context, strokes, width, height);
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob ?? undefined), 'image/png'));
}

export function MaskPainter({ imageUrl, disabled, onMask }: MaskPainterProps) {
  const { t } = useI18n();
  const canvas = useRef<HTMLCanvasElement>(null);
  // The strokes live in a ref (pointer events read the latest) and are drawn as they change.
  const strokes = useRef<Stroke[]>([]);
  const [painted, setPainted] = useState(false);
  const [size, setSize] = useState<{ width: number; height: number }>();
  const drawing = useRef<Stroke | undefined>(undefined);

  /** The strokes in translucent red over the picture. */
  const redraw = () => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (!element || !context) return;
    context.clearRect(0, 0, element.width, element.height);
    context.strokeStyle = 'rgba(230, 40, 40, 0.55)';
    drawStrokes(context, strokes.current, element.width, element.height);
  };

  // A new picture starts with no mask; its size sets the canvas's proportions.
  useEffect(() => {
    strokes.current = [];
    setPainted(false);
    onMask(undefined);
    let current = true;
    const image = new Image();
    // A picture replaced (or a page left) before it loaded sizes nothing.
    image.onload = () => current && setSize({ width: image.naturalWidth, height: image.naturalHeight });
    image.src = imageUrl;
    return () => {
      current = false;
    };
  }, [imageUrl, onMask]);

  const point = (event: PointerEvent<HTMLCanvasElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    return { x: (event.clientX - box.left) / box.width, y: (event.clientY - box.top) / box.height };
  };
  const finish = () => {
    if (!drawing.current) return;
    drawing.current = undefined;
    if (size) void maskBlob(strokes.current, size.width, size.height).then(onMask);
  };

  if (!size) return null;
  return (
    <div className="mask-painter">
      <span className="hint">{t('imagine.maskHint')}</span>
      <div
        className="mask-canvas"
        style={{ backgroundImage: `url(${imageUrl})`, aspectRatio: `${size.width} / ${size.height}` }}
      >
        <canvas
          ref={canvas}
          id="imagine-mask"
          width={480}
          height={Math.round((480 * size.height) / size.width)}
          aria-label={t('imagine.maskHint')}
          onPointerDown={(event) => {
            if (disabled) return;
            event.currentTarget.setPointerCapture(event.pointerId);
            drawing.current = [point(event)];
            strokes.current = [...strokes.current, drawing.current];
            setPainted(true);
            redraw();
          }}
          onPointerMove={(event) => {
            if (!drawing.current) return;
            drawing.current.push(point(event));
            redraw();
          }}
          onPointerUp={finish}
          onPointerCancel={finish}
        />
      </div>
      {painted && (
        <button
          type="button"
          className="button-secondary"
          disabled={disabled}
          onClick={() => {
            strokes.current = [];
            setPainted(false);
            redraw();
            onMask(undefined);
          }}
        >
          {t('imagine.clearMask')}
        </button>
      )}
    </div>
  );
}
