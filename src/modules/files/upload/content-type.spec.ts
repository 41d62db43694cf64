import { sanitizeFilename, sniffContentType } from './content-type';

describe(sanitizeFilename.name, () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\x\\report.pdf', 'report.pdf'],
    ['re\u0007po\u0000rt\n.txt', 'report.txt'],
    ['evil\u202etxt.exe', 'eviltxt.exe'],
    ['.hidden', 'hidden'],
    ['', 'file'],
    ['///', 'file'],
    ['x'.repeat(300), 'x'.repeat(200)],
  ])('%j -> %j', (input, expected) => {
    expect(sanitizeFilename(input)).toBe(expected);
  });
});

describe(sniffContentType.name, () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  it('trusts the bytes over the name and the claim', async () => {
    expect(await sniffContentType(png, true, 'notes.txt', 'text/plain')).toBe('image/png');
    expect(await sniffContentType(Buffer.from('hello'), true, 'photo.png', 'image/png')).toBe('text/plain');
    expect(await sniffContentType(Buffer.from('a,b\n1,2\n'), true, 'data.csv', 'application/octet-stream')).toBe('text/csv');
    expect(await sniffContentType(Buffer.from('# Title'), true, 'README.md', '')).toBe('text/markdown');
    expect(await sniffContentType(Buffer.from('{"a":1}'), true, 'x', 'application/json')).toBe('application/json');
    expect(await sniffContentType(Buffer.from('<html></html>'), true, 'x.html', 'text/html')).toBe('text/plain');
  });
  it('refuses binary that is not on the list', async () => {
    expect(await sniffContentType(Buffer.from([0x4d, 0x5a, 0, 0, 1, 2, 3]), true, 'a.txt', 'text/plain')).toBeUndefined();
    expect(await sniffContentType(Buffer.from('PK\u0003\u0004'), true, 'a.zip', 'application/zip')).toBeUndefined();
  });
  it('accepts a sample cut inside a multi-byte character', async () => {
    const cut = Buffer.from('caf\u00e9 '.repeat(10)).subarray(0, 4);
    expect(await sniffContentType(cut, false, 'a.txt', 'text/plain')).toBe('text/plain');
    expect(await sniffContentType(cut, true, 'a.txt', 'text/plain')).toBeUndefined();
  });
});
