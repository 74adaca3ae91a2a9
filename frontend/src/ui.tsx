// Waybill's own UI pieces, built on Polaris React. Pages use these rather
// than Polaris directly where a piece repeats, so moving to Polaris web
// components later touches this file more than the pages.
import { Badge, Banner, BlockStack, Box, Button, Card, EmptyState, InlineStack, SkeletonBodyText, Spinner, Text } from "@shopify/polaris";
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { api } from "./api";
import { useI18n, type T } from "./i18n";
import { href, useRoute } from "./router";

export interface Async<D> {
  data?: D;
  error?: string;
  loading: boolean;
  reload: () => void;
}

// useApi loads a GET endpoint and reloads when the path changes.
export function useApi<D>(path: string | null): Async<D> {
  const [state, setState] = useState<{ data?: D; error?: string; loading: boolean }>({ loading: !!path });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    api<D>(path)
      .then((data) => live && setState({ data, loading: false }))
      .catch((e: Error) => live && setState({ error: e.message, loading: false }));
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

// Loaded renders loading, error and content states the same way everywhere.
export function Loaded<D>({ state, children }: { state: Async<D>; children: (data: D) => ReactNode }) {
  const { t } = useI18n();
  if (state.error)
    return (
      <Banner tone="critical" title={t("error.title")} action={{ content: t("retry"), onAction: state.reload }}>
        <p>{state.error}</p>
      </Banner>
    );
  if (state.data === undefined)
    return (
      <Card>
        <BlockStack gap="300">
          <InlineStack gap="200" blockAlign="center">
            <Spinner size="small" accessibilityLabel={t("loading")} />
            <Text as="span" tone="subdued">{t("loading")}</Text>
          </InlineStack>
          <SkeletonBodyText lines={4} />
        </BlockStack>
      </Card>
    );
  return <>{children(state.data)}</>;
}

export function Empty({ heading, children }: { heading: string; children?: ReactNode }) {
  return (
    <Card>
      <EmptyState heading={heading} image="">
        {children}
      </EmptyState>
    </Card>
  );
}

export function Link({ to, children }: { to: string; children: ReactNode }) {
  const { navigate } = useRoute();
  return (
    <a
      href={href(to)}
      onClick={(e) => {
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export function Stat({ label, value, to, testId }: { label: string; value: number; to: string; testId: string }) {
  const { navigate } = useRoute();
  return (
    <Card>
      <BlockStack gap="100">
        <Text as="h3" variant="headingSm" tone="subdued">{label}</Text>
        <Text as="p" variant="heading2xl" id={testId}>{value}</Text>
        <Box>
          <Button variant="plain" onClick={() => navigate(to)}>→</Button>
        </Box>
      </BlockStack>
    </Card>
  );
}

const stateTone: Record<string, "success" | "critical" | "warning" | "info" | "attention" | undefined> = {
  synced: "success", failed: "critical", needs_attention: "warning", pending: "info", syncing: "info", cancelled: "attention",
};

export function StateBadge({ state }: { state: string }) {
  const { t } = useI18n();
  return <Badge tone={stateTone[state]}>{t(`state.${state}` as Parameters<T>[0])}</Badge>;
}

export function date(s?: string | null): string {
  return s ? new Date(s).toLocaleString() : "—";
}
