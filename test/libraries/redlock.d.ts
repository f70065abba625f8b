// redlock 4 ships no type declarations; the test uses it untyped.
declare module 'redlock'
