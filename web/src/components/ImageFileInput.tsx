/** The hidden file input behind a "pick an image" button: images only, and the same file picked again still counts. */
import type { RefObject } from 'react';

interface ImageFileInputProps {
  id: string;
  inputRef: RefObject<HTMLInputElement | null>;
  onFile: (file: File) => void;
}

export function ImageFileInput({ id, inputRef, onFile }: ImageFileInputProps) {
  return (
    <input
      ref={inputRef}
      id={id}
      className="visually-hidden"
      type="file"
      accept="image/*,.heic,.heif"
      tabIndex={-1}
      onChange={(event) => {
        const file = event.target.files?.[0];
        if (file) onFile(file);
        event.target.value = '';
      }}
    />
  );
}
