/** The segments the broadcast screens name and offer as audiences. */
import { useEffect, useState } from 'react';
import type { Segment } from '../../api.ts';
import { useSession } from '../../session.ts';

/** The names of the segments with these ids (GET /v1/segments/:id once per id; an id that does not load keeps no name). */
export function useSegmentNames(ids: string[]): Record<string, string> {
  const { api } = useSession();
  const [names, setNames] = useState<Record<string, string>>({});
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    let live = true;
    for (const id of key ? key.split(',') : [])
      api.getSegment(id).then(
        (s) => live && setNames((n) => (n[id] === s.name ? n : { ...n, [id]: s.name })),
        () => undefined,
      );
    return () => {
      live = false;
    };
  }, [api, key]);
  return names;
}

/** The workspace's active segments (the first 1,000, newest first), for picking an audience. */
export function useActiveSegments(): { segments: Segment[]; loading: boolean; error: unknown } {
  const { api } = useSession();
  const [state, setState] = useState<{ segments: Segment[]; loading: boolean; error: unknown }>({ segments: [], loading: true, error: null });
  useEffect(() => {
    let live = true;
    api.listSegments({ status: 'active', limit: 1000 }).then(
      (p) => live && setState({ segments: p.data, loading: false, error: null }),
      (err: unknown) => live && setState({ segments: [], loading: false, error: err }),
    );
    return () => {
      live = false;
    };
  }, [api]);
  return state;
}
