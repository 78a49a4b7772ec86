/// <reference lib="dom" />
/**
 * The demo page's script (bundled by lambda/local/conveniences.ts): the typed client against
 * this server, the IVS web player fed a freshly tokenized URL, the ICE servers, a room token.
 * Offline the player cannot play (the dev channel does not exist and the dev key is not
 * imported into IVS), so the page also shows the URL and the decoded token.
 */
import { create, isPlayerSupported, PlayerEventType, PlayerState, type MediaPlayer } from 'amazon-ivs-player';
import { TokenVendingClient, TokenVendingError } from '../../../client/index';

const api = new TokenVendingClient({ baseUrl: location.origin });
const $ = (id: string) => document.getElementById(id)!;
const value = (id: string) => ($(id) as HTMLInputElement).value.trim();

function decodeJwt(token: string): { header: unknown; payload: Record<string, unknown> } {
  const part = (i: number) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(token.split('.')[i]!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
  return { header: part(0), payload: part(1) };
}

function failure(err: unknown): string {
  return err instanceof TokenVendingError ? `${err.status} ${err.code}: ${err.detail}` : String(err);
}

function show(id: string, text: string, ok = true): void {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('bad', !ok);
}

let player: MediaPlayer | undefined;
function ivsPlayer(): MediaPlayer | undefined {
  if (player || !isPlayerSupported) return player;
  player = create({ wasmWorker: '/demo/amazon-ivs-wasmworker.min.js', wasmBinary: '/demo/amazon-ivs-wasmworker.min.wasm' });
  player.attachHTMLVideoElement($('video') as HTMLVideoElement);
  player.addEventListener(PlayerState.PLAYING, () => show('player-status', 'IVS web player: playing'));
  player.addEventListener(PlayerEventType.ERROR, (err: { message?: string; code?: number }) =>
    show('player-status', `IVS web player: cannot play (${err.message ?? 'error'}${err.code ? `, ${err.code}` : ''}). Offline, or the dev key is not imported into IVS: the token itself is shown.`, false),
  );
  return player;
}

async function playback(): Promise<void> {
  const p = ivsPlayer();
  if (!p) show('player-status', 'IVS web player: not supported in this browser (needs WebAssembly and MSE)', false);
  else show('player-status', 'IVS web player: loading…');
  try {
    // A fresh token for every playback start: never reuse an old URL.
    const token = p
      ? await api.startPlayback({ load: (url) => p.load(url), play: () => p.play() }, value('channel'))
      : await api.playbackToken({ channel: value('channel') });
    show('playback-url', token.playbackUrl);
    show('playback-claims', JSON.stringify(decodeJwt(token.token), null, 2));
  } catch (err) {
    show('playback-url', failure(err), false);
    show('playback-claims', '');
  }
}

async function iceServers(): Promise<void> {
  try {
    const servers = await api.iceServers();
    show('ice-servers', JSON.stringify(servers, null, 2));
    const username = servers.find((s) => s.username)?.username;
    show('ice-expires', username ? new Date(Number(username.split(':')[0]) * 1000).toISOString() : '—');
  } catch (err) {
    show('ice-servers', failure(err), false);
  }
}

async function room(): Promise<void> {
  try {
    const token = await api.roomToken({ roomName: value('room-name') });
    const { payload } = decodeJwt(token.participantToken);
    show('room-server', token.serverUrl);
    show('room-identity', String(payload.sub));
    show('room-e2ee', token.e2eeKey ? `present (${atob(token.e2eeKey).length} bytes; not shown)` : 'none for this room');
    show('room-grants', JSON.stringify(payload.video, null, 2));
  } catch (err) {
    show('room-grants', failure(err), false);
    show('room-e2ee', '—');
  }
}

$('play').addEventListener('click', () => void playback());
$('join').addEventListener('click', () => void room());
void Promise.all([playback(), iceServers(), room()]).then(() => (document.body.dataset.state = 'ready'));
