import sharp from 'sharp';

/**
 * sharp as the dataset service uses it. libvips keeps recently decoded images in its own operation cache; we
 * have our own cache with a byte budget, and theirs would spend memory outside it and, keyed on file names, could
 * hand back a file that changed during training. So it is off (a process-wide setting: sharp has no other user in
 * the host process).
 */
sharp.cache(false);

export { sharp };
