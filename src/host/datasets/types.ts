/** The splits a dataset can have. `validation` comes from a val/ or validation/ folder, or is carved out of train. */
export type SplitName = 'train' | 'validation' | 'test';

/** The splits in their display order. */
export const SPLITS: readonly SplitName[] = ['train', 'validation', 'test'];

/** The image formats we accept, as told by a file's content (never its extension). */
export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' | 'bmp';

/** One usable image, probed at scan time: its header was read and it decoded without error. */
export interface ImageEntry {
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the dataset root with '/' separators, for display. */
  readonly rel: string;
  readonly split: SplitName;
  /** Index into `DatasetIndex.classes`. */
  readonly label: number;
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
  /** Channels as stored: 1 gray, 2 gray + alpha, 3 colour, 4 colour + alpha. */
  readonly channels: number;
  /** Bits per sample as stored (8 or 16 in practice). */
  readonly bitDepth: number;
  readonly palette: boolean;
  /** File size in bytes. */
  readonly bytes: number;
  /** SHA-256 of the file's bytes (hex), to find exact duplicates. */
  readonly hash: string;
}

/**
 * Why a file was left out of training. `not-an-image` is a file named like an image whose content is not one;
 * `unsupported` is an image the decoder cannot read (a BMP variant we do not decode, say); `outside-class` is an
 * image that sits outside any class folder; `link-loop` is a folder link that leads back to a folder already visited.
 */
export type SkipKind = 'unreadable' | 'not-an-image' | 'too-large' | 'unsupported' | 'outside-class' | 'link-loop';

/** A file (or folder link) left out of training, with the reason, listed in the dataset report. */
export interface SkippedFile {
  readonly path: string;
  readonly rel: string;
  readonly kind: SkipKind;
  readonly reason: string;
  /** The class folder it was found in, if any. */
  readonly className?: string;
}

/** How the folder is laid out. */
export type DatasetLayout = 'classes' | 'splits';

/** Where the validation split comes from. */
export type ValidationSource =
  | { readonly kind: 'folder' }
  | { readonly kind: 'split'; readonly fraction: number; readonly seed: number }
  | { readonly kind: 'none' };

/** The outcome of a scan: every usable image by split, and every file left out with its reason. */
export interface DatasetIndex {
  /** Absolute path of the dataset folder. */
  readonly root: string;
  readonly layout: DatasetLayout;
  /** Class names in label order (sorted). */
  readonly classes: readonly string[];
  /** Usable images per split, each list sorted by relative path. */
  readonly splits: Readonly<Record<SplitName, readonly ImageEntry[]>>;
  /** The class folders that exist in each split's folder (a class can be missing from one split). */
  readonly classFolders: Readonly<Record<SplitName, readonly string[]>>;
  readonly validation: ValidationSource;
  readonly skipped: readonly SkippedFile[];
  /** Hidden and non-image files (README.txt, .DS_Store): left alone, counted, a few named. */
  readonly ignored: { readonly count: number; readonly examples: readonly string[] };
  /** The caps the scan applied. */
  readonly limits: { readonly maxPixels: number; readonly maxFileBytes: number };
}

/** How an image is fitted to the model's input size. */
export type ResizeMode = 'stretch' | 'fit' | 'crop';

/** The model's input: every image is converted to this. */
export interface InputSpec {
  readonly height: number;
  readonly width: number;
  /** 1 for grayscale, 3 for RGB. */
  readonly channels: 1 | 3;
  /** stretch: ignore the aspect ratio; fit: letterbox with black padding; crop: fill and cut the centre. Default stretch. */
  readonly resize?: ResizeMode;
}

/** Per-channel statistics subtracted and divided after scaling to [0, 1]. */
export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}
