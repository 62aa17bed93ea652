#!/usr/bin/python3
# The reference renderer of t/templates-differential.t: Debian's pystache
# with our escaping and our writing of non-string values (see
# common/web/template.h), so that the two engines must agree byte for byte.
# Same arguments as t/tools/tpl-render:
#   pystache-render.py DIR[:DIR...] NAME DATA.json
#   pystache-render.py --case CASE.json
# Run with /usr/bin/python3 (Debian's python3-pystache is only seen there).
import json
import os
import sys

import pystache


def escape_html(s):
    return (s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace('"', '&quot;').replace("'", '&#39;'))


class Renderer(pystache.Renderer):
    # numbers and booleans as JSON writes them, null as nothing
    def str_coerce(self, val):
        if val is None:
            return ''
        if isinstance(val, (bool, int, float, list, dict)):
            return json.dumps(val, ensure_ascii=False, separators=(',', ':'))
        return str(val)


def render(template, partials, data, name):
    text = name.endswith('.txt')
    r = Renderer(partials=partials, missing_tags='ignore',
                 escape=(lambda s: s) if text else escape_html)
    return r.render(template, data if data is not None else {})


def main(argv):
    if len(argv) == 3 and argv[1] == '--case':
        with open(argv[2], encoding='utf-8') as f:
            case = json.load(f)
        out = render(case['template'], case.get('partials', {}), case.get('data'),
                     case.get('name', 'main.html'))
    elif len(argv) == 4:
        dirs, name, data_path = argv[1:]
        partials = {}
        for d in dirs.split(':'):
            for fn in sorted(os.listdir(d)):
                if fn.endswith(('.html', '.txt')) and not fn.startswith('.'):
                    with open(os.path.join(d, fn), encoding='utf-8', newline='') as f:
                        partials[fn] = f.read()
        with open(data_path, encoding='utf-8') as f:
            data = json.load(f)
        out = render(partials[name], partials, data, name)
    else:
        sys.stderr.write('usage: pystache-render.py DIR[:DIR...] NAME DATA.json | --case CASE.json\n')
        return 2
    sys.stdout.buffer.write(out.encode('utf-8'))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
