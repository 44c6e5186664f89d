/** Reads a `text/event-stream` answer whole into `{event, data}` pairs (data parsed as JSON). */
export interface ReceivedEvent {
  event: string;
  data: unknown;
}

export async function readEvents(response: Response): Promise<ReceivedEvent[]> {
  const text = await response.text();
  const events: ReceivedEvent[] = [];
  for (const block of text.split(/\n\n+/)) {
    if (block.trim() === '') continue;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    events.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return events;
}

export function eventsOf<T = Record<string, unknown>>(events: ReceivedEvent[], type: string): T[] {
  return events.filter((event) => event.event === type).map((event) => event.data as T);
}
