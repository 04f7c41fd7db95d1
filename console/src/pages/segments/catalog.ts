/**
 * What the rule builder's pickers offer, drawn from the data: trait keys and consent categories
 * (GET /v1/catalog/traits), event names (GET /v1/catalog/events), an event's property names
 * (GET /v1/catalog/event-properties, fetched the first time a row asks), the tag catalogue and the
 * active segments. A picker whose list failed to load still takes typed text.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Api, CatalogueTag, Segment, SeenKey, SeenProperty } from '../../api.ts';

/** The pickers' lists. */
export interface DataCatalog {
  traits: SeenKey[];
  consent: SeenKey[];
  events: string[];
  tags: CatalogueTag[];
  segments: Segment[];
  /** The property names of an event: undefined until fetched (the call starts it). */
  propertiesOf(event: string): SeenProperty[] | undefined;
}

/** Loads the lists once per editor. */
export function useDataCatalog(api: Api): DataCatalog {
  const [lists, setLists] = useState<Omit<DataCatalog, 'propertiesOf'>>({ traits: [], consent: [], events: [], tags: [], segments: [] });
  const [props, setProps] = useState<Record<string, SeenProperty[]>>({});
  const asked = useRef(new Set<string>());

  useEffect(() => {
    let live = true;
    const put = (part: Partial<Omit<DataCatalog, 'propertiesOf'>>) => live && setLists((l) => ({ ...l, ...part }));
    api.traitCatalog().then(
      (c) => put({ traits: c.data, consent: c.consent }),
      () => undefined,
    );
    api.eventCatalog().then(
      (c) => put({ events: c.data.map((e) => e.name) }),
      () => undefined,
    );
    api.tags().then(
      (p) => put({ tags: p.data }),
      () => undefined,
    );
    api.listSegments({ status: 'active', limit: 100 }).then(
      (p) => put({ segments: p.data }),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);

  const propertiesOf = useCallback(
    (event: string) => {
      if (event && !asked.current.has(event)) {
        asked.current.add(event);
        api.eventProperties(event).then(
          (r) => setProps((p) => ({ ...p, [event]: r.data })),
          () => setProps((p) => ({ ...p, [event]: [] })),
        );
      }
      return props[event];
    },
    [api, props],
  );
  return { ...lists, propertiesOf };
}
