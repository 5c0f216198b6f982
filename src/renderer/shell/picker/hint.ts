import { ref } from 'vue';

/**
 * A note for the next in-page picker, set by whoever asks the host for a dialog with a reason to explain (a
 * folder dropped on the Data view): the picker shows it above its path field and puts the cursor there.
 */
export const nextPickerNote = ref<string | null>(null);
