// deliberate: a gateway key compiled into the browser bundle
export const GATEWAY_KEY = 'sk-proj-Wq4Re8Ty2Ui6Op0As3Df7Gh1Jk5Lz9Xc4Vb8Nm2Qw6';
