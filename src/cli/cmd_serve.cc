// flywheel serve: the OpenAI- and Ollama-compatible HTTP server (docs/serving.md).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "server/server.h"

namespace fw::cli {
namespace {

int RunServe(int argc, char** argv) {
  CLI::App app("Serve models over HTTP: OpenAI /v1/* and Ollama /api/* with continuous batching", "flywheel serve");
  server::ServerOptions o;
  std::string template_file;
  int64_t max_body = static_cast<int64_t>(o.http.max_body);
  double keep_alive = o.models.default_keep_alive_s;
  bool no_prefix_cache = false;
  o.models.engine.threads = std::max(1u, std::thread::hardware_concurrency());
  app.add_option("--host", o.http.host, "address to listen on")->capture_default_str();
  app.add_option("--port", o.http.port, "port (0: any free port)")->capture_default_str();
  auto* model = app.add_option("--model", o.models.model_path, "serve this GGUF file (its name: the file name without .gguf)");
  auto* dir = app.add_option("--models-dir", o.models.models_dir, "serve every *.gguf in this directory");
  model->excludes(dir);
  app.add_option("--parallel", o.models.engine.parallel, "sequences generated at once per model")->capture_default_str();
  app.add_option("--ctx", o.models.engine.ctx, "context size per sequence (the KV pool holds ctx x parallel)")->capture_default_str();
  app.add_option("--batch", o.models.engine.batch, "tokens per engine step (chunked-prefill budget)")->capture_default_str();
  app.add_option("--api-key", o.api_key, "require 'Authorization: Bearer KEY' (also $FLYWHEEL_API_KEY)")->envname("FLYWHEEL_API_KEY");
  app.add_option("--max-queue", o.models.engine.max_queue, "waiting requests beyond which the server answers 503")->capture_default_str();
  app.add_option("-t,--threads", o.models.engine.threads, "compute threads per model");
  app.add_option("--max-body", max_body, "largest request body in bytes (413 beyond)")->capture_default_str();
  app.add_option("--max-loaded", o.models.max_loaded, "models loaded at once")->capture_default_str();
  app.add_option("--keep-alive", keep_alive, "seconds an idle model stays loaded (<0: forever)")->capture_default_str();
  app.add_option("--chat-template", template_file, "Jinja chat template file used for every model");
  app.add_flag("--no-prefix-cache", no_prefix_cache, "disable automatic prefix caching");
  CLI11_PARSE(app, argc, argv);
  if (o.models.model_path.empty() && o.models.models_dir.empty()) return Fail("give --model FILE or --models-dir DIR");
  if (max_body < 1) return Fail("--max-body must be positive");
  o.http.max_body = static_cast<size_t>(max_body);
  o.models.default_keep_alive_s = keep_alive;
  o.models.engine.prefix_caching = !no_prefix_cache;
  if (!template_file.empty()) {
    auto src = LoadChatTemplateSource(template_file);
    if (!src.ok()) return Fail(template_file + ": " + src.message());
    o.models.chat_template_override = *src;
  }
  if (!o.models.model_path.empty()) {
    // Fail now rather than at the first request.
    server::ModelRegistry probe(o.models);
    if (probe.List().empty()) return Fail(o.models.model_path + ": no such file");
  }

  // SIGINT/SIGTERM are taken by one thread (sigwait), which stops the server cleanly.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  server::Server srv(o);
  if (Status st = srv.Start(); !st.ok()) return Fail(st.message());
  std::fprintf(stderr, "flywheel: listening on http://%s:%d\n", o.http.host.c_str(), srv.port());
  std::fflush(stderr);
  int sig = 0;
  sigwait(&sigs, &sig);
  std::fprintf(stderr, "flywheel: stopping (signal %d)\n", sig);
  srv.Stop();
  return 0;
}

}  // namespace

FW_REGISTER_COMMAND("serve", "serve models over HTTP (OpenAI and Ollama APIs)", RunServe, 20);

}  // namespace fw::cli
