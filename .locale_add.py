import sys, re
# usage: locale_add.py file section key value  (section top-level; key may be nested "a.b" only one level)
def add(path, section, entries):
    lines = open(path, encoding='utf-8').read().split('\n')
    try:
        i = lines.index(section + ':')
    except ValueError:
        # append new section
        if lines[-1] == '':
            lines.pop()
        lines.append(section + ':')
        i = len(lines) - 1
        lines.append('')
    ins = []
    for k, v in entries:
        if re.search(r'^  ' + re.escape(k) + ':', '\n'.join(section_lines(lines, i)), re.M):
            raise SystemExit(f"{path}: {section}.{k} exists")
        ins.append(f'  {k}: {v}')
    lines[i+1:i+1] = ins
    open(path, 'w', encoding='utf-8').write('\n'.join(lines) + ('' if lines[-1] == '' else '\n'))

def section_lines(lines, i):
    out = []
    for l in lines[i+1:]:
        if l and not l.startswith(' '):
            break
        out.append(l)
    return out

def q(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'
