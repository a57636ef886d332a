import { useState } from 'react';
import { GATEWAY_KEY } from './config';

export function Chat() {
  const [reply, setReply] = useState('');

  async function send(message: string) {
    // deliberate: the browser calls the gateway itself instead of the backend's /api/chat
    const response = await fetch('https://api.apertis.ai/v1/chat/completions', {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${GATEWAY_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: message }] }),
    });
    const data = await response.json();
    setReply(data.choices[0].message.content);
  }

  return <button onClick={() => send('hello')}>{reply || 'Ask'}</button>;
}
