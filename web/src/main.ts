// First: takes a sign-in link's token out of the address bar before anything else reads the location.
import { linkToken } from './signInLink';
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { router } from './router';
import { useAuthStore } from './stores/auth';

const pinia = createPinia();
const app = createApp(App).use(pinia);
// The link's token is exchanged for a session cookie on the first navigation.
if (linkToken) useAuthStore(pinia).linkToken = linkToken;
app.use(router).mount('#app');
