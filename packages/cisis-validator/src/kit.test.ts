import { cisisDir } from './kit';

describe('cisisDir', () => {
  it('refuses a CISIS_DIR that holds no kit, saying how to provide one', () => {
    const saved = process.env.CISIS_DIR;
    process.env.CISIS_DIR = '/nonexistent/cisis';
    try {
      expect(() => cisisDir()).toThrow(
        expect.objectContaining({ code: 'CISIS_KIT_MISSING', message: expect.stringContaining('CISIS_DIR') }),
      );
    } finally {
      if (saved === undefined) delete process.env.CISIS_DIR;
      else process.env.CISIS_DIR = saved;
    }
  });
});
