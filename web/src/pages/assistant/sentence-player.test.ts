import { describe, expect, it } from 'vitest';
import { type PlayableElement, SentencePlayer } from './sentence-player.ts';

class FakeAudio implements PlayableElement {
  src = '';
  played: string[] = [];
  refuse = false;
  private listeners: (() => void)[] = [];
  play(): Promise<void> {
    if (this.refuse) return Promise.reject(new Error('NotAllowedError'));
    this.played.push(this.src);
    return Promise.resolve();
  }
  addEventListener(_type: 'ended', listener: () => void) {
    this.listeners.push(listener);
  }
  removeEventListener(_type: 'ended', listener: () => void) {
    this.listeners = this.listeners.filter((other) => other !== listener);
  }
  end() {
    for (const listener of this.listeners) listener();
  }
}

describe('SentencePlayer', () => {
  it('plays the first sentence at once and the next ones as each ends', () => {
    const audio = new FakeAudio();
    const player = new SentencePlayer(audio);
    player.enqueue('/outputs/s1.wav');
    expect(audio.played).toEqual(['/outputs/s1.wav']);
    player.enqueue('/outputs/s2.wav');
    player.enqueue('/outputs/s3.wav');
    expect(audio.played).toEqual(['/outputs/s1.wav']);
    expect(player.pending).toBe(2);
    audio.end();
    expect(audio.played).toEqual(['/outputs/s1.wav', '/outputs/s2.wav']);
    audio.end();
    audio.end();
    expect(audio.played).toEqual(['/outputs/s1.wav', '/outputs/s2.wav', '/outputs/s3.wav']);
    expect(player.isPlaying).toBe(false);
    player.enqueue('/outputs/s4.wav');
    expect(audio.played.at(-1)).toBe('/outputs/s4.wav');
  });

  it('reports a refused play and lets the next sentence try again', async () => {
    const audio = new FakeAudio();
    const blocked: unknown[] = [];
    const player = new SentencePlayer(audio, (error) => blocked.push(error));
    audio.refuse = true;
    player.enqueue('/a.wav');
    await Promise.resolve();
    expect(blocked).toHaveLength(1);
    expect(player.isPlaying).toBe(false);
    audio.refuse = false;
    player.enqueue('/b.wav');
    expect(audio.played).toEqual(['/b.wav']);
  });

  it('stops listening once disposed', () => {
    const audio = new FakeAudio();
    const player = new SentencePlayer(audio);
    player.enqueue('/a.wav');
    player.enqueue('/b.wav');
    player.dispose();
    audio.end();
    expect(audio.played).toEqual(['/a.wav']);
  });
});
