import { AppProvider, Box, Frame, InlineStack, Page, Tabs } from "@shopify/polaris";
import enPolaris from "@shopify/polaris/locales/en.json";
import esPolaris from "@shopify/polaris/locales/es.json";
import type { ReactNode } from "react";
import { I18nProvider, pickLocale, useI18n } from "./i18n";
import { Dashboard } from "./pages/Dashboard";
import { Import } from "./pages/Import";
import { Notifications } from "./pages/Notifications";
import { ShipmentDetail } from "./pages/ShipmentDetail";
import { Shipments } from "./pages/Shipments";
import { StatusSources } from "./pages/StatusSources";
import { Suppliers } from "./pages/Suppliers";
import { Router, useRoute } from "./router";

const sections = [
  { path: "/", key: "nav.dashboard" },
  { path: "/shipments", key: "nav.shipments" },
  { path: "/import", key: "nav.import" },
  { path: "/status-sources", key: "nav.sources" },
  { path: "/notifications", key: "nav.notifications" },
  { path: "/suppliers", key: "nav.suppliers" },
] as const;

function Shell() {
  const { locale, t } = useI18n();
  const { path, navigate } = useRoute();
  const selected = Math.max(0, sections.findIndex((s) => (s.path === "/" ? path === "/" : path.startsWith(s.path))));
  let page;
  if (path.startsWith("/shipments/")) page = <ShipmentDetail id={decodeURIComponent(path.slice("/shipments/".length))} />;
  else if (path.startsWith("/shipments")) page = <Shipments />;
  else if (path.startsWith("/import")) page = <Import />;
  else if (path.startsWith("/status-sources")) page = <StatusSources />;
  else if (path.startsWith("/notifications")) page = <Notifications />;
  else if (path.startsWith("/suppliers")) page = <Suppliers />;
  else page = <Dashboard />;
  return (
    <AppProvider i18n={locale === "es" ? esPolaris : enPolaris}>
      <Frame>
        <Box paddingBlockStart="200">
          <InlineStack align="center">
            <Tabs
              tabs={sections.map((s) => ({ id: s.path, content: t(s.key), accessibilityLabel: t(s.key) }))}
              selected={selected}
              onSelect={(i) => navigate(sections[i].path)}
            />
          </InlineStack>
        </Box>
        <Page fullWidth={false}>{page}</Page>
      </Frame>
    </AppProvider>
  );
}

// Localized reads the admin's language from the URL (Shopify's locale
// parameter, kept on every route) and gives it to everything below.
function Localized({ children }: { children: ReactNode }) {
  const { search } = useRoute();
  return <I18nProvider locale={pickLocale(search, navigator.language)}>{children}</I18nProvider>;
}

export function App() {
  return (
    <Router>
      <Localized>
        <Shell />
      </Localized>
    </Router>
  );
}
