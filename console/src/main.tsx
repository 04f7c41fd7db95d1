import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { createConsoleRouter } from './router.tsx';
import { routes } from './routes.tsx';

const router = createConsoleRouter(routes);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {/* Without transitions a navigation renders its screen at once, as the old router did. With them, console-messages
        failed twice in a row (on a heavily loaded machine) at steps right after a navigation (the template editor remounting under its new address,
        the locale switch), as if the address changed before the screen did; without, it passed. A first visit to an
        area shows the shell's spinner while its chunk loads. */}
    <RouterProvider router={router} useTransitions={false} />
  </StrictMode>,
);
