import { createContext, useContext, useEffect, useState, type ReactNode } from "react";

// A small router: paths inside the app, while Shopify's query parameters
// (shop, host, id_token, locale…) stay on every URL.
const keep = ["shop", "host", "id_token", "locale", "embedded"];

function carried(search: string): URLSearchParams {
  const from = new URLSearchParams(search);
  const out = new URLSearchParams();
  for (const k of keep) {
    const v = from.get(k);
    if (v) out.set(k, v);
  }
  return out;
}

export function href(to: string): string {
  const [path, query = ""] = to.split("?");
  const params = carried(window.location.search);
  new URLSearchParams(query).forEach((v, k) => params.set(k, v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

interface Route {
  path: string;
  search: string;
  navigate: (to: string) => void;
}

const RouterContext = createContext<Route>({ path: "/", search: "", navigate: () => {} });

export function Router({ children }: { children: ReactNode }) {
  const [loc, setLoc] = useState({ path: window.location.pathname, search: window.location.search });
  useEffect(() => {
    const onPop = () => setLoc({ path: window.location.pathname, search: window.location.search });
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const navigate = (to: string) => {
    window.history.pushState(null, "", href(to));
    setLoc({ path: window.location.pathname, search: window.location.search });
    window.scrollTo(0, 0);
  };
  return <RouterContext.Provider value={{ ...loc, navigate }}>{children}</RouterContext.Provider>;
}

export const useRoute = () => useContext(RouterContext);
