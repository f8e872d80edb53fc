/**
 * Chat client: log in (the server signs a token), connect to the `/chat`
 * namespace with the token in `auth`, join a room, send messages confirmed by
 * acks, show who is typing and who is in the room. socket.io-client
 * reconnects by itself; the server's connection state recovery keeps the room
 * across a short drop, and after a longer one the room is joined again.
 *
 * `?token=...` in the address replaces the login with that token (to see how
 * the server rejects a bad one).
 */

import { useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { io } from 'socket.io-client';

const TYPING_IDLE_MS = 1500;
const ACK_TIMEOUT_MS = 5000;

async function login(name) {
  const res = await fetch('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || `login failed (${res.status})`);
  return body.token;
}

function Login({ onJoin }) {
  const params = new URLSearchParams(location.search);
  const [name, setName] = useState(params.get('name') || '');
  const [room, setRoom] = useState(params.get('room') || 'lobby');
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onJoin(name.trim(), room.trim());
      }}
    >
      <input data-testid="name" placeholder="your name" value={name} onChange={(e) => setName(e.target.value)} />
      <input data-testid="room" placeholder="room" value={room} onChange={(e) => setRoom(e.target.value)} />
      <button data-testid="join" type="submit" disabled={!name.trim() || !room.trim()}>
        Join
      </button>
    </form>
  );
}

function Chat({ socket, room, me, messages, setMessages, typing, members }) {
  const [text, setText] = useState('');
  const typingTimer = useRef(null);
  const listRef = useRef(null);

  useEffect(() => {
    if (listRef.current) listRef.current.scrollTop = listRef.current.scrollHeight;
  }, [messages]);

  function onInput(value) {
    setText(value);
    if (!typingTimer.current) socket.emit('typing', true);
    clearTimeout(typingTimer.current);
    typingTimer.current = setTimeout(() => {
      typingTimer.current = null;
      socket.emit('typing', false);
    }, TYPING_IDLE_MS);
  }

  function send(e) {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    clearTimeout(typingTimer.current);
    typingTimer.current = null;
    const local = `local-${Date.now()}-${Math.random()}`;
    setMessages((list) => [...list, { id: local, from: me, text: body, mine: true, state: 'sending' }]);
    setText('');
    socket.timeout(ACK_TIMEOUT_MS).emit('message', { text: body }, (err, res) => {
      const state = !err && res && res.ok ? 'delivered' : 'failed';
      setMessages((list) => list.map((m) => (m.id === local ? { ...m, state, id: res && res.id ? res.id : local } : m)));
    });
  }

  return (
    <div className="layout">
      <section>
        <ul className="messages" ref={listRef} data-testid="messages">
          {messages.map((m) => (
            <li key={m.id} className={m.mine ? 'mine' : 'theirs'} data-testid="message">
              <span className="from">{m.from}</span>
              <span className="text">{m.text}</span>
              {m.mine && (
                <span className={`state ${m.state}`} data-testid={`state-${m.state}`}>
                  {m.state === 'sending' ? 'sending…' : m.state === 'delivered' ? '✓ delivered' : '✗ not delivered'}
                </span>
              )}
            </li>
          ))}
        </ul>
        <div className="typing" data-testid="typing">
          {typing.length > 0 && `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`}
        </div>
        <form onSubmit={send}>
          <input data-testid="text" placeholder="message" value={text} onChange={(e) => onInput(e.target.value)} />
          <button data-testid="send" type="submit" disabled={!socket.connected}>
            Send
          </button>
        </form>
      </section>
      <aside className="members">
        <h2>In #{room}</h2>
        <ul data-testid="members">
          {members.map((name) => (
            <li key={name}>{name}</li>
          ))}
        </ul>
      </aside>
    </div>
  );
}

function App() {
  const [session, setSession] = useState(null); // { socket, room, me }
  const [status, setStatus] = useState('signed out');
  const [error, setError] = useState('');
  const [messages, setMessages] = useState([]);
  const [typing, setTyping] = useState([]);
  const [members, setMembers] = useState([]);

  const current = session && session.socket;
  useEffect(() => () => current && current.disconnect(), [current]);

  async function join(name, room) {
    setError('');
    let token = new URLSearchParams(location.search).get('token');
    try {
      if (!token) token = await login(name);
    } catch (err) {
      setError(err.message);
      return;
    }
    const socket = io('/chat', { auth: { token } });
    setStatus('connecting…');
    // Listeners go on before anything can arrive, so that no event is missed.
    socket.on('message', (m) => setMessages((list) => [...list, { ...m, mine: false, state: 'received' }]));
    socket.on('typing', ({ name: who, typing: on }) =>
      setTyping((names) => (on ? [...new Set([...names, who])] : names.filter((n) => n !== who)))
    );
    socket.on('members', (update) => update.room === room && setMembers(update.members));
    socket.on('connect', () => {
      setStatus('connected');
      setError('');
      // Connection state recovery: the server kept the room and replayed
      // the messages missed meanwhile; nothing to join again.
      if (socket.recovered) return;
      socket.emit('join', { room }, (res) => {
        if (!res.ok) {
          setError(res.error);
          return;
        }
        setMembers(res.members);
        // A reconnect joins again; the session stays the same object.
        setSession((prev) => (prev && prev.socket === socket ? prev : { socket, room: res.room, me: res.name }));
      });
    });
    socket.on('connect_error', (err) => {
      setStatus(socket.active ? 'reconnecting…' : 'disconnected');
      setError(`connect_error: ${err.message}`);
    });
    socket.on('disconnect', (reason) => setStatus(socket.active ? `reconnecting… (${reason})` : 'disconnected'));
    socket.io.on('reconnect_attempt', (n) => setStatus(`reconnecting… (attempt ${n})`));
  }

  return (
    <main>
      <header>
        <h1>{session ? `#${session.room}` : 'socket.io-native chat'}</h1>
        <span className={`status ${status === 'connected' ? 'connected' : ''}`} data-testid="status">
          {session ? `${session.me} · ` : ''}
          {status}
        </span>
      </header>
      {error && (
        <div className="error" role="alert" data-testid="error">
          {error}
        </div>
      )}
      {session ? (
        <Chat {...session} messages={messages} setMessages={setMessages} typing={typing} members={members} />
      ) : (
        <Login onJoin={join} />
      )}
    </main>
  );
}

createRoot(document.getElementById('root')).render(<App />);
