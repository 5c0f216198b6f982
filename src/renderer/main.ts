import { createPinia } from 'pinia';
import { createApp } from 'vue';
import VueKonva from 'vue-konva';
import { z } from 'zod';
import App from './App.vue';
import './theme.css';

// The page's CSP forbids eval: zod must not probe for it (the refused probe is reported as a CSP violation).
z.config({ jitless: true });

createApp(App).use(createPinia()).use(VueKonva).mount('#app');
