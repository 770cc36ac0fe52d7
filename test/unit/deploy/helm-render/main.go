// helm-render: renders a Helm chart's templates the way `helm template` does,
// for tests on machines where Helm itself cannot be installed.
//
// The template engine is Go's own text/template with Masterminds/sprig v3 (the
// same two libraries Helm's engine is built on; both from Debian's packages:
// golang-go, golang-github-masterminds-sprig-dev, golang-k8s-sigs-yaml-dev).
// What Helm adds on top is written here: the .Values/.Release/.Chart/
// .Capabilities/.Template objects, values coalescing, and the functions
// include, tpl, required, toYaml, fromYaml, toJson, fromJson and lookup.
//
// usage: helm-render CHART_DIR RELEASE NAMESPACE [VALUES_FILE ...]
// prints every rendered manifest as "---\n# Source: <chart>/templates/<file>\n…" on stdout,
// the rendered NOTES.txt on stderr, and exits 1 with the template error when rendering fails.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig" // v3 (Debian keeps it without the /v3 suffix; built in GOPATH mode)
	"sigs.k8s.io/yaml"
)

type chartMeta struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	AppVersion  string `json:"appVersion"`
	Description string `json:"description"`
	Type        string `json:"type"`
	APIVersion  string `json:"apiVersion"`
}

func readYAMLMap(path string) map[string]interface{} {
	raw, err := os.ReadFile(path)
	check(err)
	out := map[string]interface{}{}
	check(yaml.Unmarshal(raw, &out))
	if out == nil {
		out = map[string]interface{}{}
	}
	return out
}

// coalesce merges override onto base like Helm's values merge: maps merge key
// by key, anything else in the override replaces the base, and an explicit null
// in the override removes the key.
func coalesce(base, override map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range override {
		if v == nil {
			delete(out, k)
			continue
		}
		bm, bok := out[k].(map[string]interface{})
		om, ook := v.(map[string]interface{})
		if bok && ook {
			out[k] = coalesce(bm, om)
		} else {
			out[k] = v
		}
	}
	return out
}

func toYAML(v interface{}) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: helm-render CHART_DIR RELEASE NAMESPACE [VALUES_FILE ...]")
		os.Exit(2)
	}
	chartDir, release, namespace := os.Args[1], os.Args[2], os.Args[3]

	var meta chartMeta
	raw, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	check(err)
	check(yaml.Unmarshal(raw, &meta))

	values := readYAMLMap(filepath.Join(chartDir, "values.yaml"))
	for _, f := range os.Args[4:] {
		values = coalesce(values, readYAMLMap(f))
	}

	root := template.New("gotpl")
	// Helm renders missing keys as empty (missingkey=zero, then "<no value>" → "").
	root.Option("missingkey=zero")

	funcs := sprig.TxtFuncMap()
	delete(funcs, "env") // Helm removes these two: a chart must not read the renderer's environment
	delete(funcs, "expandenv")
	includeDepth := map[string]int{}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		includeDepth[name]++
		defer func() { includeDepth[name]-- }()
		if includeDepth[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, fmt.Errorf("%s", msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["toJson"] = func(v interface{}) string {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	// Like `helm template`: no cluster to look anything up in.
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	root.Funcs(funcs)

	tplDir := filepath.Join(chartDir, "templates")
	entries, err := os.ReadDir(tplDir)
	check(err)
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := meta.Name + "/templates/" + e.Name()
		src, err := os.ReadFile(filepath.Join(tplDir, e.Name()))
		check(err)
		_, err = root.New(name).Parse(string(src))
		check(err)
		names = append(names, name)
	}
	sort.Strings(names)

	chartObj := map[string]interface{}{
		"Name": meta.Name, "Version": meta.Version, "AppVersion": meta.AppVersion,
		"Description": meta.Description, "Type": meta.Type, "APIVersion": meta.APIVersion,
	}
	releaseObj := map[string]interface{}{
		"Name": release, "Namespace": namespace, "Service": "Helm",
		"IsInstall": true, "IsUpgrade": false, "Revision": 1,
	}
	capabilities := map[string]interface{}{
		"KubeVersion": map[string]interface{}{"Version": "v1.32.0", "Major": "1", "Minor": "32", "GitVersion": "v1.32.0"},
	}

	var out strings.Builder
	notes := ""
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") {
			continue // partials render nothing by themselves
		}
		data := map[string]interface{}{
			"Values": values, "Release": releaseObj, "Chart": chartObj, "Capabilities": capabilities,
			"Template": map[string]interface{}{"Name": name, "BasePath": meta.Name + "/templates"},
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if base == "NOTES.txt" {
			notes = text // what `helm install` prints afterwards; not part of the manifests
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, strings.TrimRight(text, "\n"))
	}
	fmt.Print(out.String())
	if notes != "" {
		fmt.Fprintf(os.Stderr, "NOTES:\n%s", notes)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
