// Concord's console in a real browser: headless Debian Chromium driven by playwright-core.
// Run by crates/concord/tests/browser.rs, which starts the server and writes the fixtures
// (accounts, and a signed alert to post while a duty officer watches). Screenshots go to
// CONCORD_ARTIFACTS. Exits non-zero, naming the step, on the first failure.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';

const base = process.env.CONCORD_URL;
const fixtures = JSON.parse(readFileSync(process.env.CONCORD_FIXTURES, 'utf8'));
const out = process.env.CONCORD_ARTIFACTS;
mkdirSync(out, { recursive: true });

function check(condition, what) {
  if (!condition) { throw new Error(what); }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function signIn(locale, account) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // Nothing may leave the machine: every request goes to Concord.
  await page.route('**/*', (route) =>
    route.request().url().startsWith(base) ? route.continue() : route.abort());
  await page.goto(`${base}/login`);
  await page.fill('#username', account.username);
  await page.fill('#password', account.password);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button.primary')]);
  return page;
}

let step = 'start';
try {
  step = 'the sign-in page speaks the browser\'s language';
  {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    check((await page.textContent('h1')) === 'Вход в Конкорд', step);
    await page.fill('#username', fixtures.kaz.username);
    await page.fill('#password', 'not the password');
    await page.click('button.primary');
    check((await page.textContent('.error')).includes('Неверное имя пользователя или пароль'), 'a wrong password is refused in Russian');
    await page.screenshot({ path: `${out}/login-refused-ru.png`, fullPage: true });
    await context.close();
  }

  step = 'a duty officer of Kazakhstan signs in (English, the account\'s language)';
  const kaz = await signIn('ru-RU', fixtures.kaz);
  check((await kaz.textContent('h1')) === 'Dashboard', step);
  check((await kaz.textContent('#members')).includes('participation frozen'), 'the dashboard shows statuses');
  check((await kaz.textContent('#next-session')).includes('Moscow'), 'the dashboard shows today\'s session as the next');
  await kaz.screenshot({ path: `${out}/dashboard-en.png`, fullPage: true });

  step = 'switch to Russian';
  await Promise.all([kaz.waitForURL(`${base}/`), kaz.click('#language')]);
  check((await kaz.textContent('h1')) === 'Обзор', step);
  check((await kaz.getAttribute('html', 'lang')) === 'ru', 'the page says it is Russian');
  await kaz.screenshot({ path: `${out}/dashboard-ru.png`, fullPage: true });

  step = 'read the map';
  await kaz.click('#nav-map');
  await kaz.waitForSelector('#map[data-ready="true"]', { timeout: 15000 });
  const map = await kaz.$eval('#map', (el) => ({ ...el.dataset }));
  check(Number(map.countries) > 200, `the borders of the world are drawn (${map.countries})`);
  check(Number(map.states) >= 6, `the organisation's states are coloured (${map.states})`);
  check(Number(map.incidents) >= 1, 'Kazakhstan sees its own report');
  check((await kaz.$$('#map path.leaflet-interactive')).length > 200, 'the shapes are on the page');
  await kaz.screenshot({ path: `${out}/map.png`, fullPage: true });

  step = 'watch an alert appear live';
  await kaz.click('#nav-alerts');
  await kaz.waitForSelector('#live[data-connected="true"]', { timeout: 10000 });
  const posted = await fetch(`${base}/api/v1/alerts`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fixtures.alert),
  });
  check(posted.status === 201, `the alert is recorded (${posted.status})`);
  await kaz.waitForSelector('#live li.alert', { timeout: 10000 });
  check((await kaz.textContent('#live li.alert')).includes(fixtures.alert_headline), 'the live alert says what happened');
  await kaz.screenshot({ path: `${out}/live-alert.png`, fullPage: true });

  step = 'the ledger explorer checks, in the browser, that the entries are under the signed root';
  await kaz.goto(`${base}/ledger`);
  await kaz.waitForFunction(() => {
    const cells = [...document.querySelectorAll('.proof-check')];
    return cells.length > 0 && cells.every((c) => c.dataset.verified);
  }, null, { timeout: 15000 });
  await kaz.waitForSelector('#checkpoint-check[data-verified]', { timeout: 10000 });
  check((await kaz.getAttribute('#checkpoint-check', 'data-verified')) === 'yes', 'the checkpoint\'s signature verifies in the browser');
  const verdicts = await kaz.$$eval('.proof-check', (cells) => cells.map((c) => c.dataset.verified));
  check(verdicts.length >= 10 && verdicts.every((v) => v === 'yes'), `every entry verified: ${verdicts}`);
  await kaz.screenshot({ path: `${out}/ledger.png`, fullPage: true });

  step = 'a duty officer of Belarus does not see what was released to others';
  const blr = await signIn('en-US', fixtures.blr);
  await blr.click('#nav-map');
  await blr.waitForSelector('#map[data-ready="true"]', { timeout: 15000 });
  check((await blr.$eval('#map', (el) => el.dataset.incidents)) === '0', 'no report of Kazakhstan on the Belarusian map');
  check(!(await blr.content()).includes(fixtures.kaz_report_title), 'not even in the page');
  await blr.click('#nav-alerts');
  check(!(await blr.content()).includes(fixtures.alert_headline), 'the group alert is not listed for Belarus');
  await blr.screenshot({ path: `${out}/belarus-alerts.png`, fullPage: true });

  step = 'a head of delegation agrees to a document, signing in the browser';
  const head = await signIn('en-US', fixtures.head);
  await head.goto(`${base}/documents/${fixtures.document}`);
  await head.setInputFiles('#key-file', fixtures.key_file);
  await head.selectOption('#stance', 'agree');
  await head.click('#sign-button');
  await head.waitForSelector('#sign-result.done', { timeout: 10000 });
  await head.waitForLoadState('load');
  await head.waitForFunction(() => !document.getElementById('position-form'), null, { timeout: 10000 });
  const positions = await head.textContent('#positions');
  check(positions.includes('KAZ') && positions.includes('agrees'), `the position is listed: ${positions}`);
  await head.screenshot({ path: `${out}/agreed.png`, fullPage: true });

  step = 'Kazakhstan reports progress on its programme item, signing in the browser';
  await head.click('#nav-year');
  const item = `#programme-${fixtures.programme} tr.item`;
  check((await head.textContent(item)).includes(fixtures.item_title), 'the item is listed with its title');
  const form = `#programme-${fixtures.programme} form.signed-command`;
  await head.fill(`${form} input[name=percent]`, '100');
  await head.fill(`${form} input[name="note.en"]`, 'Two outposts handed over');
  await head.fill(`${form} input[name="note.ru"]`, 'Переданы две заставы');
  await head.setInputFiles(`${form} .key-file`, fixtures.key_file);
  await head.click(`${form} button.primary`);
  await head.waitForSelector(`${form} .sign-result.done`, { timeout: 10000 });
  await head.waitForFunction((sel) => !document.querySelector(sel), form, { timeout: 10000 });
  check((await head.textContent(item)).includes('done'), `the item is done: ${await head.textContent(item)}`);
  await head.screenshot({ path: `${out}/year.png`, fullPage: true });

  step = 'the secretariat sets out the next item in the console, signing with its key';
  const sec = await signIn('en-US', fixtures.secretariat);
  await sec.click('#nav-year');
  const add = sec.locator('form[data-action="add-programme-item"]', { hasText: fixtures.programme });
  await add.locator('input[name="title.en"]').fill('Train the border guards');
  await add.locator('input[name="title.ru"]').fill('Обучить пограничников');
  await add.locator('input[name="responsible"]').fill('KGZ');
  await add.locator('input[name="deadline"]').fill(`${fixtures.year + 1}-06-30`);
  await add.locator('.key-file').setInputFiles(fixtures.secretariat_key_file);
  await add.locator('button.primary').click();
  await add.locator('.sign-result.done').waitFor({ timeout: 10000 });
  await sec.waitForFunction(() => document.body.textContent.includes('Train the border guards'), null, { timeout: 10000 });
  await sec.screenshot({ path: `${out}/year-secretariat.png`, fullPage: true });

  step = 'the chair\'s annual report, with its charts, in Russian';
  await head.goto(`${base}/year/report`);
  check((await head.textContent('#report-digest')).length === 64, 'the report states its SHA-256');
  check((await head.$$('svg.chart rect')).length >= 1, 'the report draws its charts');
  const pdf = await head.request.get(`${base}/api/v1/annual-reports/${fixtures.year}/pdf?lang=ru`);
  check(pdf.status() === 200 && (await pdf.body()).subarray(0, 5).toString() === '%PDF-', 'the PDF is served');
  await head.screenshot({ path: `${out}/annual-report.png`, fullPage: true });

  console.log('browser: all steps passed; screenshots in', out);
  await browser.close();
} catch (e) {
  console.error(`browser: failed at "${step}": ${e.message}`);
  await browser.close();
  process.exit(1);
}
