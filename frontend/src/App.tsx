import { AppProvider, BlockStack, Box, Button, Card, Form, FormLayout, Frame, InlineStack, Page, Tabs, Text, TextField } from "@shopify/polaris";
import enPolaris from "@shopify/polaris/locales/en.json";
import esPolaris from "@shopify/polaris/locales/es.json";
import { useEffect, useState, type ReactNode } from "react";
import { hasSession } from "./api";
import { isEmbedded } from "./bridge";
import { I18nProvider, pickLocale, useI18n } from "./i18n";
import { Channels } from "./pages/Channels";
import { Dashboard } from "./pages/Dashboard";
import { DataRequests } from "./pages/DataRequests";
import { EmailLog } from "./pages/EmailLog";
import { Insights } from "./pages/Insights";
import { MessageLog } from "./pages/MessageLog";
import { Orders } from "./pages/Orders";
import { Import } from "./pages/Import";
import { Notifications } from "./pages/Notifications";
import { ShipmentDetail } from "./pages/ShipmentDetail";
import { Shipments } from "./pages/Shipments";
import { StatusSources } from "./pages/StatusSources";
import { Suppliers } from "./pages/Suppliers";
import { Router, useRoute } from "./router";
import { ToastHost } from "./ui";

// App Bridge's navigation menu element (app-bridge.js defines it; the
// @shopify/app-bridge-react NavMenu component is this same element).
declare module "react" {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      "ui-nav-menu": { children?: ReactNode };
    }
  }
}

export const sections = [
  { path: "/", key: "nav.dashboard" },
  { path: "/orders", key: "nav.orders" },
  { path: "/shipments", key: "nav.shipments" },
  { path: "/import", key: "nav.import" },
  { path: "/status-sources", key: "nav.sources" },
  { path: "/notifications", key: "nav.notifications" },
  { path: "/channels", key: "nav.channels" },
  { path: "/emails", key: "nav.emails" },
  { path: "/messages", key: "nav.messages" },
  { path: "/insights", key: "nav.insights" },
  { path: "/suppliers", key: "nav.suppliers" },
  { path: "/data-requests", key: "nav.dataRequests" },
] as const;

// NavMenu is the admin's own navigation inside Shopify: App Bridge shows
// these links in the admin's sidebar (the first, rel="home", is the app's
// name). A click there reaches these anchors, and the app's router takes it
// without reloading the page.
function NavMenu() {
  const { t } = useI18n();
  const { navigate } = useRoute();
  return (
    <ui-nav-menu>
      {sections.map((s) => (
        <a key={s.path} href={s.path} rel={s.path === "/" ? "home" : undefined}
          onClick={(e) => {
            e.preventDefault();
            navigate(s.path);
          }}>
          {t(s.key)}
        </a>
      ))}
    </ui-nav-menu>
  );
}

function TabBar() {
  const { t } = useI18n();
  const { path, navigate } = useRoute();
  const selected = Math.max(0, sections.findIndex((s) => (s.path === "/" ? path === "/" : path.startsWith(s.path))));
  return (
    <Box paddingBlockStart="200">
      <InlineStack align="center">
        <Tabs
          tabs={sections.map((s) => ({ id: s.path, content: t(s.key), accessibilityLabel: t(s.key) }))}
          selected={selected}
          onSelect={(i) => navigate(sections[i].path)}
        />
      </InlineStack>
    </Box>
  );
}

function CurrentPage() {
  const { path } = useRoute();
  if (path.startsWith("/shipments/")) return <ShipmentDetail id={decodeURIComponent(path.slice("/shipments/".length))} />;
  if (path.startsWith("/shipments")) return <Shipments />;
  if (path.startsWith("/orders")) return <Orders />;
  if (path.startsWith("/emails")) return <EmailLog />;
  if (path.startsWith("/messages")) return <MessageLog />;
  if (path.startsWith("/channels")) return <Channels />;
  if (path.startsWith("/insights")) return <Insights />;
  if (path.startsWith("/data-requests")) return <DataRequests />;
  if (path.startsWith("/import")) return <Import />;
  if (path.startsWith("/status-sources")) return <StatusSources />;
  if (path.startsWith("/notifications")) return <Notifications />;
  if (path.startsWith("/suppliers")) return <Suppliers />;
  return <Dashboard />;
}

// Shell: inside the Shopify admin the navigation is Shopify's (App Bridge's
// menu, no tab bar of our own); outside it, a tab bar.
function Shell() {
  const embedded = isEmbedded();
  return (
    <Frame>
      {embedded ? <NavMenu /> : <TabBar />}
      <Page fullWidth={false}>
        <CurrentPage />
      </Page>
      <ToastHost />
    </Frame>
  );
}

// shopDomain normalises what a merchant types (spaces, capitals, a pasted
// https://…/ address) and checks it as the server's /auth does:
// ^[a-z0-9][a-z0-9-]*\.myshopify\.com$.
export function shopDomain(raw: string): string | null {
  const shop = raw.trim().toLowerCase().replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return shop.length <= 255 && /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(shop) ? shop : null;
}

// Outside is what a browser sees without Shopify: no App Bridge session
// and no id_token (http://localhost:8080 opened directly). It says where
// Waybill lives and offers the install.
export function Outside({ go = (url: string) => window.location.assign(url) }: { go?: (url: string) => void }) {
  const { t } = useI18n();
  const [shop, setShop] = useState("");
  const [error, setError] = useState<string>();
  const submit = () => {
    const domain = shopDomain(shop);
    if (!domain) {
      setError(shop.trim() === "" ? t("shell.outside.noShop") : t("shell.outside.badShop", { shop: shop.trim() }));
      return;
    }
    setError(undefined);
    go(`/auth?shop=${encodeURIComponent(domain)}`);
  };
  return (
    <Page narrowWidth>
      <BlockStack gap="400">
        <Text as="h1" variant="headingXl">{t("shell.outside.title")}</Text>
        <Text as="p">{t("shell.outside.intro")}</Text>
        <Card>
          <BlockStack gap="200">
            <Text as="h2" variant="headingMd">{t("shell.outside.openTitle")}</Text>
            <Text as="p">{t("shell.outside.open")}</Text>
          </BlockStack>
        </Card>
        <Card>
          <Form onSubmit={submit}>
            <FormLayout>
              <Text as="h2" variant="headingMd">{t("shell.outside.installTitle")}</Text>
              <TextField id="install-shop" label={t("shell.outside.shop")} helpText={t("shell.outside.shopHelp")} value={shop}
                onChange={setShop} autoComplete="off" placeholder="mi-tienda.myshopify.com" error={error} name="shop" />
              <Button submit variant="primary">{t("shell.outside.install")}</Button>
            </FormLayout>
          </Form>
        </Card>
      </BlockStack>
    </Page>
  );
}

function Root() {
  const { locale } = useI18n();
  return (
    <AppProvider i18n={locale === "es" ? esPolaris : enPolaris}>
      {hasSession() ? <Shell /> : <Outside />}
    </AppProvider>
  );
}

// Localized reads the admin's language from the URL (Shopify's locale
// parameter, kept on every route), else the browser's, and gives it to
// everything below.
function Localized({ children }: { children: ReactNode }) {
  const { search } = useRoute();
  const locale = pickLocale(search, navigator.language);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  return <I18nProvider locale={locale}>{children}</I18nProvider>;
}

export function App() {
  return (
    <Router>
      <Localized>
        <Root />
      </Localized>
    </Router>
  );
}
