#include "engine/engine.h"

#include <algorithm>
#include <cmath>
#include <span>

namespace fw::engine {

namespace {
// Seconds; TTFT from ~1 ms to a minute, inter-token latency from 0.1 ms to 10 s.
std::vector<double> TtftBounds() { return {0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}; }
std::vector<double> ItlBounds() { return {0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 10}; }
int64_t Ns(Clock::duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }
double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
constexpr int32_t kEmbedSeq = -1;  // KV sequence id of embedding jobs (request ids are > 0)
}  // namespace

const char* FinishReasonName(FinishReason r) {
  switch (r) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
    case FinishReason::kError: return "error";
    case FinishReason::kNone: break;
  }
  return "";
}

Engine::Engine(const model::Model& model, const Tokenizer& tokenizer, const EngineOptions& options)
    : model_(model),
      tokenizer_(tokenizer),
      options_(options),
      scheduler_(SchedulerConfig{options.parallel, options.batch}),
      ttft_(TtftBounds()),
      itl_(ItlBounds()) {}

Result<std::unique_ptr<Engine>> Engine::Create(const model::Model& model, const Tokenizer& tokenizer,
                                               const EngineOptions& options) {
  if (options.parallel < 1 || options.ctx < 1 || options.batch < 1 || options.threads < 1 || options.max_queue < 0)
    return Status::Error("engine options must be positive (parallel, ctx, batch, threads)");
  if (tokenizer.n_vocab() > model.hparams().n_vocab)
    return Status::Error("the tokenizer has more tokens than the model's output layer");
  std::unique_ptr<Engine> e(new Engine(model, tokenizer, options));
  model::SessionOptions so;
  so.n_ctx = options.ctx;
  so.n_seq = options.parallel;
  so.n_batch = options.batch;
  so.n_threads = options.threads;
  so.max_outputs = options.batch;
  FW_ASSIGN_OR_RETURN(e->session_, model::Session::Create(model, so));
  e->kv_ = std::make_unique<KvManager>(e->session_->kv(), options.prefix_caching);
  const int32_t n_vocab = model.hparams().n_vocab;
  e->pieces_.resize(static_cast<size_t>(n_vocab));
  for (int32_t i = 0; i < tokenizer.n_vocab(); ++i) e->pieces_[static_cast<size_t>(i)] = tokenizer.TokenToPiece(i);
  e->mask_.assign(static_cast<size_t>(n_vocab), 0);
  e->batch_.Reserve(static_cast<size_t>(options.batch));
  e->loop_ = std::thread([p = e.get()] { p->Loop(); });
  return e;
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

SubmitResult Engine::Submit(GenerationRequest req) {
  SubmitResult r;
  const int32_t n_vocab = model_.hparams().n_vocab;
  if (req.prompt.empty()) return {SubmitResult::Code::kInvalid, "the prompt is empty (no tokens)", nullptr};
  for (int32_t t : req.prompt)
    if (t < 0 || t >= n_vocab)
      return {SubmitResult::Code::kInvalid, "token id " + std::to_string(t) + " is outside the vocabulary (0.." +
                                                std::to_string(n_vocab - 1) + ")", nullptr};
  const int64_t n_prompt = static_cast<int64_t>(req.prompt.size());
  const int64_t want = n_prompt + std::max<int64_t>(req.max_tokens, 0);
  if (want > options_.ctx) {
    return {SubmitResult::Code::kInvalid,
            "this model's context is " + std::to_string(options_.ctx) + " tokens, but the request needs " +
                std::to_string(want) + " (" + std::to_string(n_prompt) + " in the prompt + " +
                std::to_string(std::max<int64_t>(req.max_tokens, 0)) +
                " to generate); shorten the prompt or lower max_tokens",
            nullptr};
  }
  if (req.logprobs > 20) req.logprobs = 20;
  auto s = std::make_unique<Sequence>();
  s->tokens = req.prompt;
  s->n_prompt = static_cast<int32_t>(req.prompt.size());
  s->stream = std::make_shared<RequestStream>();
  s->submitted = Clock::now();
  s->req = std::move(req);
  s->out = std::make_unique<OutputState>(s->req, tokenizer_);
  // SentencePiece decoding drops the leading space of the first piece; the generated text
  // continues the prompt, so the detokenizer starts after the last prompt token.
  if (tokenizer_.type_name() == "llama") (void)s->out->detok.Push(s->tokens.back());
  r.stream = s->stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Free slots admit at the next step, so only requests beyond them count as queued.
    if (n_waiting_.load() >= options_.max_queue + (options_.parallel - n_running_.load()))
      return {SubmitResult::Code::kQueueFull,
              "the server is busy: " + std::to_string(n_waiting_.load()) + " requests are already waiting", nullptr};
    s->id = next_id_++;
    if (next_id_ == INT32_MAX) next_id_ = 1;
    incoming_.push_back(std::move(s));
    n_waiting_.fetch_add(1);
    requests_total_.fetch_add(1);
  }
  cv_.notify_one();
  return r;
}

Result<std::vector<float>> Engine::Embed(std::vector<int32_t> tokens) {
  if (tokens.empty()) return Status::Error("nothing to embed (no tokens)");
  if (static_cast<int64_t>(tokens.size()) > options_.ctx)
    return Status::Error("the input is " + std::to_string(tokens.size()) + " tokens, the context holds " +
                         std::to_string(options_.ctx));
  for (int32_t t : tokens)
    if (t < 0 || t >= model_.hparams().n_vocab) return Status::Error("token id " + std::to_string(t) + " is outside the vocabulary");
  auto job = std::make_unique<EmbedJob>();
  job->tokens = std::move(tokens);
  auto fut = job->result.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return Status::Error("the engine is shutting down");
    embeds_.push_back(std::move(job));
  }
  cv_.notify_one();
  return fut.get();
}

EngineStats Engine::Stats() const {
  EngineStats s;
  s.running = n_running_.load();
  s.waiting = n_waiting_.load();
  s.requests_total = requests_total_.load();
  s.prompt_tokens_total = prompt_tokens_total_.load();
  s.generation_tokens_total = generation_tokens_total_.load();
  s.prefix_queried_tokens = prefix_queried_.load();
  s.prefix_hit_tokens = prefix_hits_.load();
  s.steps_total = steps_total_.load();
  s.kv_blocks = kv_->n_blocks();
  s.kv_usage = s.kv_blocks > 0 ? static_cast<double>(kv_used_blocks_.load()) / s.kv_blocks : 0.0;
  s.ttft = ttft_.Read();
  s.itl = itl_.Read();
  return s;
}

void Engine::Loop() {
  for (;;) {
    std::vector<std::unique_ptr<EmbedJob>> jobs;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stop_ || cancel_all_.load() || !incoming_.empty() || !embeds_.empty() || !seqs_.empty();
      });
      if (stop_) break;
      while (!incoming_.empty()) {
        Sequence* s = incoming_.front().get();
        seqs_.emplace(s->id, std::move(incoming_.front()));
        incoming_.pop_front();
        waiting_.push_back(s);
      }
      while (!embeds_.empty()) {
        jobs.push_back(std::move(embeds_.front()));
        embeds_.pop_front();
      }
    }
    for (auto& j : jobs) RunEmbed(*j);
    DropCancelled();
    if (!waiting_.empty() || !running_.empty()) Step();
  }
  // Shutdown: every open stream learns that it ends here.
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : incoming_) {
    GenerationEvent e;
    e.kind = GenerationEvent::Kind::kDone;
    e.finish = FinishReason::kError;
    e.error = "the server is shutting down";
    s->stream->Push(std::move(e));
  }
  for (auto& [id, s] : seqs_) {
    GenerationEvent e;
    e.kind = GenerationEvent::Kind::kDone;
    e.finish = FinishReason::kError;
    e.error = "the server is shutting down";
    s->stream->Push(std::move(e));
  }
  for (auto& j : embeds_) j->result.set_value(Status::Error("the engine is shutting down"));
}

void Engine::DropCancelled() {
  std::vector<Sequence*> gone;
  const bool all = cancel_all_.exchange(false);
  for (Sequence* s : waiting_)
    if (all || s->stream->cancelled()) gone.push_back(s);
  for (Sequence* s : running_)
    if (all || s->stream->cancelled()) gone.push_back(s);
  for (Sequence* s : gone) Finish(*s, FinishReason::kCancelled);
}

void Engine::Finish(Sequence& s, FinishReason reason, const std::string& error) {
  const bool was_waiting = std::find(waiting_.begin(), waiting_.end(), &s) != waiting_.end();
  if (was_waiting) {
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), &s));
    n_waiting_.fetch_sub(1);
  } else {
    running_.erase(std::find(running_.begin(), running_.end(), &s));
  }
  kv_->Free(s);
  if (reason == FinishReason::kLength || reason == FinishReason::kCancelled || reason == FinishReason::kError) {
    // Text the detokenizer or the stop matcher still held.
    if (s.out && reason != FinishReason::kCancelled && !s.out->stop.matched()) {
      std::string tail = s.out->stop.Feed(s.out->detok.Flush());
      tail += s.out->stop.Flush();
      if (!tail.empty()) {
        GenerationEvent t;
        t.kind = GenerationEvent::Kind::kToken;
        t.text = std::move(tail);
        s.stream->Push(std::move(t));
      }
    }
  }
  GenerationEvent e;
  e.kind = GenerationEvent::Kind::kDone;
  e.finish = reason;
  e.error = error;
  e.usage.prompt_tokens = s.n_prompt;
  e.usage.cached_tokens = s.n_cached;
  e.usage.completion_tokens = s.n_generated;
  const Clock::time_point now = Clock::now();
  const Clock::time_point admitted = was_waiting ? now : s.admitted;
  const Clock::time_point first = s.n_generated > 0 ? s.first_token : now;
  e.usage.queued_ns = Ns(admitted - s.submitted);
  e.usage.prompt_ns = Ns(first - admitted);
  e.usage.generation_ns = Ns(now - first);
  // Statistics first: a client that sees Done also sees the sequence gone.
  n_running_.store(static_cast<int32_t>(running_.size()));
  kv_used_blocks_.store(kv_->n_used_blocks());
  std::shared_ptr<RequestStream> stream = s.stream;
  seqs_.erase(s.id);  // destroys s
  stream->Push(std::move(e));
}

void Engine::Step() {
  const size_t running_before = running_.size();
  std::vector<ScheduledChunk> plan = scheduler_.Schedule(waiting_, running_, *kv_);
  const Clock::time_point now = Clock::now();
  for (size_t i = running_before; i < running_.size(); ++i) {
    Sequence* s = running_[i];
    s->admitted = now;
    n_waiting_.fetch_sub(1);
    prompt_tokens_total_.fetch_add(static_cast<uint64_t>(s->n_prompt));
  }
  n_running_.store(static_cast<int32_t>(running_.size()));
  prefix_queried_.store(kv_->prefix_cache().queried_tokens());
  prefix_hits_.store(kv_->prefix_cache().hit_tokens());
  if (plan.empty()) {
    // Nothing fits (the pool is exhausted by running sequences): fail the newest running
    // sequence rather than spin.
    if (!running_.empty()) Finish(*running_.back(), FinishReason::kError, "the KV cache is full");
    return;
  }

  // Execute: one batch for everything scheduled.
  batch_.Clear();
  for (const ScheduledChunk& c : plan) {
    Sequence& s = *c.seq;
    const bool echo_rows = s.req.prompt_logprobs && s.prefilling();
    for (int32_t j = 0; j < c.n_tokens; ++j) {
      const int32_t pos = s.n_computed + j;
      const bool last_known = pos + 1 == static_cast<int32_t>(s.tokens.size());
      batch_.Add(s.tokens[static_cast<size_t>(pos)], pos, s.id, echo_rows || last_known);
    }
  }
  const Status st = session_->EvalBatch(batch_);
  steps_total_.fetch_add(1);
  if (!st.ok()) {
    std::vector<Sequence*> failed;
    for (const ScheduledChunk& c : plan) failed.push_back(c.seq);
    for (Sequence* s : failed) Finish(*s, FinishReason::kError, "forward pass failed: " + st.message());
    return;
  }

  // Update: advance, cache full blocks, emit prompt logprobs, sample.
  int32_t row = 0;
  std::vector<std::pair<Sequence*, FinishReason>> done;
  for (const ScheduledChunk& c : plan) {
    Sequence& s = *c.seq;
    const int32_t start = s.n_computed;
    const bool echo_rows = s.req.prompt_logprobs && s.prefilling();
    s.n_computed += c.n_tokens;
    kv_->RegisterFullBlocks(s);
    const bool has_last = s.n_computed == static_cast<int32_t>(s.tokens.size());
    if (echo_rows) {
      EmitPromptLogprobs(s, start, c.n_tokens, row);
      row += c.n_tokens;
    } else if (has_last) {
      row += 1;
    }
    if (!has_last) continue;
    if (s.req.max_tokens >= 0 && s.n_generated >= s.req.max_tokens) {
      done.emplace_back(&s, FinishReason::kLength);
      continue;
    }
    SampleNext(s, session_->logits(row - 1));
  }
  for (auto& [s, why] : done) Finish(*s, why);
  kv_used_blocks_.store(kv_->n_used_blocks());
}

void Engine::EmitPromptLogprobs(Sequence& s, int32_t first_pos, int32_t n_rows, int32_t first_row) {
  GenerationEvent e;
  e.kind = GenerationEvent::Kind::kPromptLogprobs;
  const size_t n_vocab = static_cast<size_t>(session_->n_vocab());
  for (int32_t j = 0; j < n_rows; ++j) {
    const int32_t next = first_pos + j + 1;  // the row of position p predicts token p+1
    if (next >= s.n_prompt) break;
    std::span<const float> logits(session_->logits(first_row + j), n_vocab);
    TokenLogprob lp;
    lp.token = s.tokens[static_cast<size_t>(next)];
    lp.logprob = LogprobOf(logits, lp.token);
    if (s.req.logprobs > 0) lp.top = TopLogprobs(logits, s.req.logprobs);
    e.logprobs.push_back(std::move(lp));
  }
  if (!e.logprobs.empty()) s.stream->Push(std::move(e));
}

void Engine::ComputeJsonMask(const Sequence& s) {
  const JsonPrefix& json = s.out->json;
  for (size_t i = 0; i < mask_.size(); ++i) {
    const std::string& piece = pieces_[i];
    if (piece.empty()) {
      mask_[i] = 0;
      continue;
    }
    JsonPrefix trial = json;
    mask_[i] = trial.Feed(piece) ? 1 : 0;
  }
}

void Engine::SampleNext(Sequence& s, const float* logits_ptr) {
  const size_t n_vocab = static_cast<size_t>(session_->n_vocab());
  std::span<const float> logits(logits_ptr, n_vocab);
  OutputState& out = *s.out;
  std::span<const uint8_t> allowed;
  if (s.req.json) {
    ComputeJsonMask(s);
    if (std::find(mask_.begin(), mask_.end(), 1) == mask_.end()) {
      Finish(s, FinishReason::kStop);
      return;
    }
    allowed = mask_;
  }
  const int32_t tok = out.sampler.Sample(logits, s.tokens, allowed);
  const Clock::time_point now = Clock::now();
  if (s.n_generated == 0) {
    s.first_token = now;
    ttft_.Observe(Seconds(now - s.submitted));
  } else {
    itl_.Observe(Seconds(now - s.last_token));
  }
  s.last_token = now;
  s.tokens.push_back(tok);
  ++s.n_generated;
  generation_tokens_total_.fetch_add(1);

  GenerationEvent e;
  e.kind = GenerationEvent::Kind::kToken;
  if (s.req.logprobs >= 0) {
    TokenLogprob lp;
    lp.token = tok;
    lp.logprob = LogprobOf(logits, tok);
    if (s.req.logprobs > 0) lp.top = TopLogprobs(logits, s.req.logprobs);
    e.logprobs.push_back(std::move(lp));
  }
  FinishReason finish = FinishReason::kNone;
  if (!s.req.ignore_eos && tokenizer_.IsEndOfGeneration(tok)) {
    finish = FinishReason::kStop;
    e.text = out.stop.Feed(out.detok.Flush()) + out.stop.Flush();
  } else {
    e.text = out.stop.Feed(out.detok.Push(tok));
    if (s.req.json) out.json.Feed(pieces_[static_cast<size_t>(tok)]);
    if (out.stop.matched()) finish = FinishReason::kStop;
    else if (s.req.json && out.json.complete()) finish = FinishReason::kStop;
    else if (s.req.max_tokens >= 0 && s.n_generated >= s.req.max_tokens) finish = FinishReason::kLength;
    else if (static_cast<int32_t>(s.tokens.size()) >= options_.ctx) finish = FinishReason::kLength;
  }
  if (!e.text.empty() || !e.logprobs.empty()) s.stream->Push(std::move(e));
  if (finish != FinishReason::kNone) {
    if (finish == FinishReason::kStop && !out.stop.matched()) {
      // Flush what the detokenizer/stop matcher hold (JSON end): emitted before Done.
      std::string tail = out.stop.Feed(out.detok.Flush()) + out.stop.Flush();
      if (!tail.empty()) {
        GenerationEvent t;
        t.kind = GenerationEvent::Kind::kToken;
        t.text = std::move(tail);
        s.stream->Push(std::move(t));
      }
    }
    Finish(s, finish);
  }
}

void Engine::RunEmbed(EmbedJob& job) {
  const int32_t n = static_cast<int32_t>(job.tokens.size());
  const int32_t bt = kv_->block_tokens();
  if (!kv_->EnsureFreeBlocks((n + bt - 1) / bt)) {
    job.result.set_value(Status::Error("the KV cache is busy; retry the embedding later"));
    return;
  }
  const int32_t E = model_.hparams().n_embd;
  std::vector<double> sum(static_cast<size_t>(E), 0.0);
  Status st;
  for (int32_t begin = 0; begin < n && st.ok(); begin += options_.batch) {
    const int32_t m = std::min(options_.batch, n - begin);
    batch_.Clear();
    for (int32_t j = 0; j < m; ++j) batch_.Add(job.tokens[static_cast<size_t>(begin + j)], begin + j, kEmbedSeq, true);
    st = session_->EvalBatch(batch_);
    if (!st.ok()) break;
    for (int32_t j = 0; j < m; ++j) {
      const float* h = session_->forward().output_hidden(j);
      for (int32_t d = 0; d < E; ++d) sum[static_cast<size_t>(d)] += h[d];
    }
  }
  session_->Clear(kEmbedSeq);
  if (!st.ok()) {
    job.result.set_value(Status::Error("forward pass failed: " + st.message()));
    return;
  }
  double norm = 0;
  for (double& v : sum) {
    v /= n;
    norm += v * v;
  }
  norm = std::sqrt(norm);
  std::vector<float> out(static_cast<size_t>(E));
  for (int32_t d = 0; d < E; ++d)
    out[static_cast<size_t>(d)] = static_cast<float>(norm > 0 ? sum[static_cast<size_t>(d)] / norm : 0.0);
  job.result.set_value(std::move(out));
}

}  // namespace fw::engine
