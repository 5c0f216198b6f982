import { onBeforeUnmount, ref, shallowRef, watch } from 'vue';
import { useTrainingStore } from '../../stores/training';

/**
 * Data fetched from the host for a view: fetched again whenever what `request` reads changes (a node, an image)
 * or the network to inspect changes, and, with `whileTraining`, every that many ms while a run trains (its
 * network changes under it). An answer that arrives after a newer request was made is dropped.
 */
export function useHostData<T>(request: () => (() => Promise<T>) | null, options: { whileTraining?: number } = {}) {
  const training = useTrainingStore();
  const data = shallowRef<T | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);
  let ticket = 0;

  async function load(): Promise<void> {
    const fetcher = request();
    const mine = ++ticket;
    if (!fetcher) {
      data.value = null;
      error.value = null;
      return;
    }
    loading.value = true;
    try {
      const value = await fetcher();
      if (mine !== ticket) return;
      data.value = value;
      error.value = null;
    } catch (e) {
      if (mine !== ticket) return;
      data.value = null;
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      if (mine === ticket) loading.value = false;
    }
  }

  watch([request, () => training.modelVersion], () => void load(), { immediate: true });

  let timer: ReturnType<typeof setInterval> | undefined;
  if (options.whileTraining) {
    watch(
      () => training.phase === 'running',
      (running) => {
        clearInterval(timer);
        if (running) timer = setInterval(() => void load(), options.whileTraining);
      },
      { immediate: true },
    );
  }
  onBeforeUnmount(() => {
    clearInterval(timer);
    ticket++;
  });

  return { data, error, loading, reload: load };
}
